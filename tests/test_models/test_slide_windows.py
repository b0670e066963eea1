"""Slide inference windows: settings that would leave pixels unpredicted are refused when the model is built."""
import pytest
import torch

from mmseg.models import build_segmentor

from .model_cfgs import metas, tiny_segmentor


@pytest.mark.parametrize('test_cfg, message', [
    (dict(mode='slide', crop_size=32, stride=33),
     r'test_cfg.stride \(33, 33\) is larger than test_cfg.crop_size \(32, 32\)'),
    (dict(mode='slide', crop_size=(32, 16), stride=(16, 20)),
     r'test_cfg.stride \(16, 20\) is larger than test_cfg.crop_size \(32, 16\) in width'),
    (dict(mode='slide', crop_size=32, stride=0), r'test_cfg.stride must be a positive int'),
    (dict(mode='slide', crop_size=32, stride=(-4, 8)), r'test_cfg.stride must be a positive int'),
    (dict(mode='slide', crop_size=0, stride=8), r'test_cfg.crop_size must be a positive int'),
    (dict(mode='slide', crop_size=32, stride=True), r'test_cfg.stride must be a positive int'),
    (dict(mode='slide', crop_size=32, stride=16, window_batch=0), r'test_cfg.window_batch must be an int >= 1'),
    (dict(mode='slide', crop_size=32, stride=16, window_batch=-2), r'test_cfg.window_batch must be an int >= 1'),
    (dict(mode='slide', crop_size=32, stride=16, window_batch=True), r'test_cfg.window_batch must be an int >= 1'),
], ids=['stride_over_crop', 'stride_over_crop_width', 'stride_0', 'stride_negative', 'crop_0', 'stride_bool',
        'window_batch_0', 'window_batch_negative', 'window_batch_bool'])
def test_slide_settings_that_leave_pixels_uncovered_are_refused_when_built(test_cfg, message):
    with pytest.raises(ValueError, match=message):
        build_segmentor(tiny_segmentor(test_cfg=test_cfg))


def test_slide_windows_cover_every_pixel_or_inference_refuses():
    model = build_segmentor(tiny_segmentor(test_cfg=dict(mode='slide', crop_size=16, stride=16))).eval()
    with torch.no_grad():
        assert torch.isfinite(model.slide_inference(torch.randn(1, 3, 40, 37), metas(40, 37), rescale=True)).all()
        model.test_cfg['stride'] = (24, 24)  # changed after the build check: still refused, never NaN
        with pytest.raises(ValueError, match=r'test_cfg.stride \(24, 24\) is larger than test_cfg.crop_size'):
            model.slide_inference(torch.randn(1, 3, 40, 37), metas(40, 37), rescale=True)
