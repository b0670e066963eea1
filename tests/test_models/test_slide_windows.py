"""Slide inference windows: settings that would leave pixels unpredicted are refused when the model is built."""
import numpy as np
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


def per_pixel(model, logits=None):
    """Make ``model`` predict per pixel: ``logits`` everywhere, or its input's first two channels."""
    def encode_decode(img, img_metas):
        return img[:, :2] if logits is None else img.new_tensor(logits).view(1, -1, 1, 1).expand(
            img.shape[0], -1, *img.shape[2:])
    model.encode_decode = encode_decode
    return model


def slide_model(blend=None, **test_cfg):
    test_cfg = dict(dict(mode='slide', crop_size=(16, 12), stride=(10, 7)), **test_cfg)
    if blend is not None:
        test_cfg['blend'] = blend
    return build_segmentor(tiny_segmentor(test_cfg=test_cfg)).eval()


def test_uniform_blend_is_the_default_plain_mean_of_the_windows():
    torch.manual_seed(0)
    default = slide_model()
    uniform, gaussian = slide_model('uniform'), slide_model('gaussian')
    uniform.load_state_dict(default.state_dict())
    gaussian.load_state_dict(default.state_dict())
    img = torch.randn(1, 3, 40, 37)
    with torch.no_grad():
        plain = default.slide_inference(img, metas(40, 37), rescale=True)
        assert torch.equal(uniform.slide_inference(img, metas(40, 37), rescale=True), plain)
        assert not torch.allclose(gaussian.slide_inference(img, metas(40, 37), rescale=True), plain, atol=1e-3)


@pytest.mark.parametrize('size', [(40, 37), (16, 12), (9, 30)], ids=['overlapping', 'one_window', 'low_image'])
def test_gaussian_blend_covers_every_pixel_and_keeps_a_per_pixel_prediction(size):
    model = slide_model('gaussian')
    with torch.no_grad():
        constant = per_pixel(model, [0.25, -1.5]).slide_inference(torch.randn(2, 3, *size), metas(*size, 2), True)
        torch.testing.assert_close(constant, torch.tensor([0.25, -1.5]).view(1, 2, 1, 1).expand(2, 2, *size))
        img = torch.randn(2, 3, *size)
        torch.testing.assert_close(per_pixel(model).slide_inference(img, metas(*size, 2), True), img[:, :2])


def test_gaussian_window_weights_peak_at_the_centre_and_stay_positive():
    from mmseg.models.segmentors.test_time import window_weights
    assert window_weights(16, 12, 'uniform') is None
    weights = window_weights(33, 24, 'gaussian')
    assert weights.shape == (33, 24) and weights.dtype == np.float32 and (weights > 0).all()
    assert weights[16, 11] == weights[16, 12] == weights.max() and weights[16, 11] > weights[16, 10]
    np.testing.assert_allclose(weights, weights[::-1, ::-1])
    # sigma = side / 8: 4 px from the centre of a 33 px side the weight is exp(-(4 / (33 / 8)) ** 2 / 2)
    column = window_weights(33, 1, 'gaussian')[:, 0]
    np.testing.assert_allclose(column[[16, 20]], [1.0, np.exp(-0.5 * (4 / (33 / 8)) ** 2)], rtol=1e-6)


def test_an_unknown_blend_is_refused_when_built():
    with pytest.raises(ValueError, match="test_cfg.blend must be 'uniform' .* or 'gaussian'"):
        slide_model('mean')
