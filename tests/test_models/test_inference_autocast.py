"""test_cfg.autocast: inference under bf16 autocast returns float32 logits close to float32 inference."""
import logging

import pytest
import torch

import mmcv.runner.precision as precision
from mmseg.models import build_segmentor
from mmseg.models.acceleration import AutocastCall, accelerate_segmentor

from .model_cfgs import metas, tiny_segmentor


def _model(autocast):
    torch.manual_seed(0)
    model = build_segmentor(tiny_segmentor(2, test_cfg=dict(mode='whole', autocast=autocast)))
    return accelerate_segmentor(model).eval()


def test_bf16_inference_is_float32_out_and_close_to_float32():
    img = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    plain, bf16 = _model(None), _model('bf16')
    assert isinstance(bf16.encode_decode, AutocastCall) and not isinstance(plain.encode_decode, AutocastCall)
    seen = []
    bf16.backbone.register_forward_hook(lambda m, i, o: seen.append(o[-1].dtype))
    with torch.no_grad():
        ref, out = plain.encode_decode(img, metas(32, 32)), bf16.encode_decode(img, metas(32, 32))
    assert seen == [torch.bfloat16] and out.dtype == torch.float32
    assert (ref.softmax(1) - out.softmax(1)).abs().max() < 0.05


@pytest.mark.parametrize('flags,expected', [({'avx512_bf16'}, 'bf16 autocast'), ({'avx2'}, 'float32')])
def test_auto_follows_the_cpu_and_says_so(monkeypatch, caplog, flags, expected):
    monkeypatch.setattr(precision, 'cpu_flags', lambda path='/proc/cpuinfo': frozenset(flags))
    model = _model('auto')
    with caplog.at_level(logging.INFO, logger='mmseg.models'), torch.no_grad():
        model.encode_decode(torch.randn(1, 3, 32, 32), metas(32, 32))
        model.encode_decode(torch.randn(1, 3, 32, 32), metas(32, 32))
    lines = [r.getMessage() for r in caplog.records if 'test_cfg.autocast=auto' in r.getMessage()]
    assert len(lines) == 1 and f'on cpu: {expected}' in lines[0]


def test_a_bad_autocast_value_is_refused_when_built():
    with pytest.raises(ValueError, match="test_cfg.autocast must be None, 'bf16' or 'auto'"):
        build_segmentor(tiny_segmentor(2, test_cfg=dict(mode='whole', autocast='fp16')))
