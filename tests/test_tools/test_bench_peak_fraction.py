"""bench/peak_fraction.py: step FLOPs counted forward + backward, figures in a table and a JSON, tiny sizes."""
import importlib.util
import json
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# the r34 UNet++ shrunk to two grid rows on a ResNet-18 stem
TINY_MODEL = f"""_base_ = '{ROOT}/configs/_base_/models/unet++_r34.py'
model = dict(backbone=dict(depth=18, out_indices=(0, 1)),
             decode_head=dict(in_channels=[64, 64], in_index=[0, 1], img_channels=3, channels=[8, 8]))
"""


def test_peak_fraction_reports_both_precisions(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location('bench_peak', osp.join(ROOT, 'bench', 'peak_fraction.py'))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    config = tmp_path / 'tiny.py'
    config.write_text(TINY_MODEL)
    out = tmp_path / 'peak.json'
    bench.main([str(config), '--batch', '1', '--crop', '32', '--repeats', '1', '--matmul-size', '64',
                '--threads', '1', '--json', str(out)])
    printed = capsys.readouterr().out
    assert 'GFLOP per training step (2 FLOPs per multiply-add)' in printed and 'bf16 autocast' in printed
    figures = json.loads(out.read_text())
    assert len(figures['provenance']['git']['commit']) == 40
    assert set(figures['rows']) == {'float32', 'bf16 autocast'} and figures['step_gflop'] > 0
    for row in figures['rows'].values():
        assert row['achieved_gflops'] > 0 and row['fraction_of_peak'] > 0
        assert abs(row['achieved_gflops'] / max(row['peak_matmul_gflops'], row['peak_conv3x3_gflops'])
                   - row['fraction_of_peak']) < 1e-9
