"""tools/print_config.py: the merged config (bases and --cfg-options applied), optionally the model."""
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_prints_bases_and_cfg_options(load_tool, tiny_config, capsys):
    tool = load_tool('print_config')
    tool.main([tiny_config, '--cfg-options', 'optimizer.lr=0.123', 'model.decode_head.num_classes=3'])
    out = capsys.readouterr().out
    assert out.startswith('Config:\n')
    assert "optimizer = dict(type='SGD', lr=0.123," in out  # from the schedule base, overridden
    assert 'num_classes=3' in out and 'num_classes=2' not in out
    assert "dict(type='UNetPlusPlusHead'" in out or "type='UNetPlusPlusHead'" in out  # from the model base
    assert 'depth=18' in out  # the tiny config's own override
    assert 'Model graph' not in out


def test_graph_prints_the_built_model(load_tool, tiny_config, capsys):
    tool = load_tool('print_config')
    tool.main([tiny_config, '--graph'])
    out = capsys.readouterr().out
    graph = out[out.index('Model graph:'):]
    assert 'EncoderDecoder(' in graph and 'UNetPlusPlusHead(' in graph and 'ResNet(' in graph


@pytest.mark.slow
def test_runs_as_a_script_from_another_folder(tiny_config, tmp_path):
    result = subprocess.run([sys.executable, osp.join(ROOT, 'tools', 'print_config.py'), tiny_config],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert 'data_root' in result.stdout
