"""bench/eval_speed.py: one test split timed end to end in several inference variants, one table and one JSON."""
import importlib.util
import json
import os.path as osp

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture
def bench():
    spec = importlib.util.spec_from_file_location('bench_eval_speed', osp.join(ROOT, 'bench', 'eval_speed.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_variants_side_by_side_with_metric_differences(bench, tiny_config, tiny_checkpoint, tmp_path, capsys):
    json_file = tmp_path / 'out' / 'speed.json'
    bench.main([tiny_config, '--checkpoint', tiny_checkpoint, '--variants', 'fp32', 'bf16', 'fp32+cl',
                '--threads', '1', '--json', str(json_file)])
    printed = capsys.readouterr().out
    for row in ('split wall time (s)', 'model time (s)', 'speed-up over fp32', 'mDice', 'FOV AUC'):
        assert row in printed
    report = json.loads(json_file.read_text())
    assert report['provenance']['git'] and report['command']
    assert len(report['provenance']['checkpoint']['sha256']) == 64  # which weights were timed
    fp32, bf16, cl = (report['results'][name] for name in ('fp32', 'bf16', 'fp32+cl'))
    assert fp32['images'] == bf16['images'] == cl['images'] == 2
    assert fp32['test_cfg']['mode'] == 'whole' and 'autocast' not in fp32['test_cfg']
    assert bf16['test_cfg']['autocast'] == 'bf16' and not bf16['channels_last'] and cl['channels_last']
    assert 0 < fp32['model_seconds'] <= fp32['wall_seconds']
    # the memory format changes no arithmetic result of consequence: same metrics as fp32
    for label, _ in bench.METRICS:
        assert cl[label] == pytest.approx(fp32[label], abs=1e-6), label
    assert f'{fp32["mDice"]:.2f} (+0.00)' in printed


def test_without_checkpoint_times_only(bench, tiny_config, tmp_path, capsys):
    json_file = tmp_path / 'speed.json'
    bench.main([tiny_config, '--variants', 'bf16', '--json', str(json_file)])
    printed = capsys.readouterr().out
    assert 'random init: times only' in printed and 'mDice' not in printed
    assert 'mDice' not in json.loads(json_file.read_text())['results']['bf16']


def test_compile_variant_compiles_encode_decode(bench, tiny_config, tiny_checkpoint, tmp_path, monkeypatch):
    compiled = []
    monkeypatch.setattr(torch, 'compile', lambda fn, **kwargs: compiled.append(fn.__name__) or fn)
    json_file = tmp_path / 'speed.json'
    bench.main([tiny_config, '--checkpoint', tiny_checkpoint, '--variants', 'fp32', 'bf16+compile',
                '--json', str(json_file)])
    results = json.loads(json_file.read_text())['results']
    assert [r['test_cfg'].get('compile', False) for r in results.values()] == [False, True]
    assert compiled == ['encode_decode']


@pytest.mark.parametrize('variant', ['fp16', 'bf16+fp32', 'cl', 'bf16+fast'])
def test_unknown_variant_is_refused(bench, tiny_config, variant, capsys):
    with pytest.raises(SystemExit):
        bench.main([tiny_config, '--variants', variant])
    assert f'variant {variant!r}' in capsys.readouterr().err
