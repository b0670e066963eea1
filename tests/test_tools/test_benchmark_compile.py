"""tools/benchmark.py --compile: the timed model is built with the compile option of its mode."""
import json

import pytest
import torch


@pytest.fixture
def compile_calls(monkeypatch) -> list:
    """torch.compile replaced by a recorder returning the eager callable (compiling is tested elsewhere)."""
    calls = []
    monkeypatch.setattr(torch, 'compile', lambda fn, **kwargs: calls.append((fn.__name__, kwargs)) or fn)
    return calls


@pytest.mark.parametrize('train, compiled_fn', [(False, 'encode_decode'), (True, 'forward_train')])
def test_compile_flag_compiles_the_timed_path(load_tool, tiny_config, tmp_path, compile_calls, train, compiled_fn):
    json_file = tmp_path / 'report.json'
    argv = [tiny_config, '--compile', '--num-images', '2', '--warmup', '1', '--json', str(json_file)]
    load_tool('benchmark').main(argv + (['--train', '--samples-per-gpu', '2'] if train else []))
    assert compile_calls == [(compiled_fn, {})]
    assert json.loads(json_file.read_text())['compile'] is True


def test_compile_flag_keeps_compile_arguments_from_cfg_options(load_tool, tiny_config, tmp_path, compile_calls):
    json_file = tmp_path / 'report.json'
    load_tool('benchmark').main([tiny_config, '--compile', '--num-images', '1', '--warmup', '1', '--json',
                                 str(json_file), '--cfg-options', 'model.test_cfg.compile.dynamic=False'])
    assert compile_calls == [('encode_decode', {'dynamic': False})]
    assert json.loads(json_file.read_text())['compile'] == {'dynamic': False}


def test_compile_flag_needs_a_warmup_step(load_tool, tiny_config, capsys):
    with pytest.raises(SystemExit):
        load_tool('benchmark').main([tiny_config, '--compile', '--warmup', '0'])
    assert '--compile needs --warmup >= 1' in capsys.readouterr().err
