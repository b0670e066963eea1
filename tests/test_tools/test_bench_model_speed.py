"""bench/model_speed.py: several configs as contestants in one table, eager and compiled, with tiny counts."""
import importlib.util
import json
import os.path as osp

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from mmcv import Config
from mmseg.models import build_segmentor
from mmseg.utils.flops import CONVENTION, count_flops, dummy_forward

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# the r34 UNet++ shrunk to two grid rows on a ResNet-18 stem: a training step in milliseconds
TINY_MODEL = f"""_base_ = '{ROOT}/configs/_base_/models/unet++_r34.py'
model = dict(backbone=dict(depth=18, out_indices=(0, 1)),
             decode_head=dict(in_channels=[64, 64], in_index=[0, 1], img_channels=3, channels={{channels}}))
"""
QUICK = ['--no-smp', '--repeats', '1', '--slide-repeats', '1', '--image-size', '40', '36', '--batch', '2']


@pytest.fixture
def bench():
    spec = importlib.util.spec_from_file_location('bench_model_speed', osp.join(ROOT, 'bench', 'model_speed.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def configs(tmp_path):
    paths = []
    for name, channels in (('narrow', [4, 8]), ('wide', [8, 8]), ('narrow_again', [4, 8])):
        path = tmp_path / f'{name}.py'
        path.write_text(TINY_MODEL.format(channels=channels))
        paths.append(str(path))
    return paths


def test_configs_are_contestants_side_by_side(bench, configs, tmp_path, capsys, monkeypatch):
    compiled = []
    monkeypatch.setattr(torch, 'compile', lambda fn, **kwargs: compiled.append((fn.__name__, kwargs)) or fn)
    json_file = tmp_path / 'speed.json'
    bench.main(['--configs', *configs, *QUICK, '--compile', '--json', str(json_file)])
    printed = capsys.readouterr().out
    report = json.loads(json_file.read_text())
    assert list(report['results']) == ['narrow', 'wide', 'narrow, 1 window/pass']
    assert 'narrow_again.py: same model as narrow, skipped' in ' '.join(report['notes'])
    narrow, wide = report['results']['narrow'], report['results']['wide']
    assert wide['params (M)'] > narrow['params (M)'] and wide['GFLOPs @64x64'] > narrow['GFLOPs @64x64']
    # the FLOPs of tools/get_flops.py (one multiply-add = one FLOP), not FlopCounterMode's two per multiply-add
    assert report['flops_convention'] == CONVENTION
    model = build_segmentor(Config.fromfile(configs[0]).model)
    assert narrow['GFLOPs @64x64'] == pytest.approx(count_flops(model, (3, 64, 64)).flops / 1e9)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        dummy_forward(model.eval())(torch.zeros(1, 3, 64, 64))
    assert narrow['GFLOPs @64x64'] == pytest.approx(counter.get_total_flops() / 2e9)
    for key in ('train step b2 (ms)', 'slide 40x36 (ms)', 'whole 40x36 (ms)'):
        assert narrow[key] > 0 and narrow[f'{key} compiled'] > 0
    # each contestant's losses and test forward, compiled once with static shapes
    static = {'dynamic': False}
    assert sorted(compiled) == sorted([('forward_train', static), ('encode_decode', static)] * 2)
    assert f'({narrow["train step b2 (ms)"] / narrow["train step b2 (ms) compiled"]:.2f}x)' in printed
    assert 'batched slide vs one window at a time' in printed


def test_default_contestants_skip_what_the_checkout_lacks(bench, monkeypatch):
    monkeypatch.setattr(bench, 'DEFAULT_CONFIGS', ['configs/_base_/models/unet++_r34.py', 'configs/no_family/*.py'])
    notes = []
    assert bench.config_files(None, notes) == ['configs/_base_/models/unet++_r34.py']
    assert notes == ['configs/no_family/*.py: not in this checkout, skipped']
    with pytest.raises(SystemExit, match='config file'):
        bench.config_files(['configs/no_such.py'], notes)


@pytest.mark.parametrize('mode', ['whole', 'slide'])
def test_smp_stand_in_runs_our_inference_code(bench, mode):
    """SmpSegmentor borrows EncoderDecoder's inference methods: any one they need must be borrowed too
    (checked here with a 1x1 convolution in place of smp, which may not be installed)."""
    model = bench.SmpSegmentor(torch.nn.Conv2d(3, 2, 1), [dict(type='CrossEntropyLoss')], 2,
                               dict(mode=mode, crop_size=(16, 16), stride=(12, 12))).eval()
    meta = [dict(ori_shape=(40, 36, 3), img_shape=(40, 36, 3), pad_shape=(40, 36, 3), flip=False)]
    with torch.no_grad():
        result = model.simple_test(torch.randn(1, 3, 40, 36), meta, return_prob=True)[0]
    assert result.label_map.shape == (40, 36) and result.prob.shape == (40, 36)
