"""tools/pytorch2onnx.py: the exported graph gives PyTorch's logits; missing packages give clear messages."""
import sys

import numpy as np
import pytest

onnx = pytest.importorskip('onnx')


def input_dims(model_file: str) -> list:
    dims = onnx.load(model_file).graph.input[0].type.tensor_type.shape.dim
    return [d.dim_value or d.dim_param for d in dims]


def test_static_export_matches_pytorch(load_tool, tiny_config, tiny_checkpoint, tmp_path, capsys):
    pytest.importorskip('onnxruntime')
    tool = load_tool('pytorch2onnx')
    out = tmp_path / 'static.onnx'
    tool.main([tiny_config, '--checkpoint', tiny_checkpoint, '--output-file', str(out), '--shape', '64', '48',
               '--verify'])
    printed = capsys.readouterr().out
    assert 'max abs difference of logits' in printed
    assert 'The outputs are the same between PyTorch and ONNX' in printed
    assert input_dims(str(out)) == [1, 3, 64, 48]


def test_dynamic_export_runs_at_other_sizes(load_tool, tiny_config, tiny_checkpoint, tmp_path, capsys):
    ort = pytest.importorskip('onnxruntime')
    tool = load_tool('pytorch2onnx')
    out = tmp_path / 'dynamic.onnx'
    tool.main([tiny_config, '--checkpoint', tiny_checkpoint, '--output-file', str(out), '--shape', '64',
               '--dynamic-export', '--verify'])  # --verify also runs a batch of 2 at 96x96
    assert 'The outputs are the same between PyTorch and ONNX' in capsys.readouterr().out
    assert input_dims(str(out)) == ['batch', 3, 'height', 'width']
    session = ort.InferenceSession(str(out), providers=['CPUExecutionProvider'])
    logits = session.run(None, {'input': np.zeros((1, 3, 40, 72), np.float32)})[0]
    assert logits.shape == (1, 2, 40, 72)  # two classes, input size


def test_random_weights_are_announced(load_tool, tiny_config, tmp_path, capsys):
    tool = load_tool('pytorch2onnx')
    out = tmp_path / 'sub' / 'random.onnx'
    tool.main([tiny_config, '--output-file', str(out), '--shape', '32'])
    assert 'exporting randomly initialised weights' in capsys.readouterr().out
    assert input_dims(str(out)) == [1, 3, 32, 32]


def test_missing_onnx_is_a_clear_error(load_tool, tiny_config, tmp_path, monkeypatch):
    tool = load_tool('pytorch2onnx')
    monkeypatch.setitem(sys.modules, 'onnx', None)  # import onnx now raises ImportError
    out = tmp_path / 'none.onnx'
    with pytest.raises(SystemExit, match='pip install onnx'):
        tool.main([tiny_config, '--output-file', str(out), '--shape', '32'])
    assert not out.exists()


def test_verify_without_onnxruntime_is_skipped(load_tool, tiny_config, tmp_path, monkeypatch, capsys):
    tool = load_tool('pytorch2onnx')
    monkeypatch.setitem(sys.modules, 'onnxruntime', None)
    out = tmp_path / 'unverified.onnx'
    tool.main([tiny_config, '--output-file', str(out), '--shape', '32', '--verify'])
    assert 'skipping the check: --verify needs onnxruntime' in capsys.readouterr().out
    assert out.exists()
