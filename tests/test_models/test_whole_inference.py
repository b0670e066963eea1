"""test_cfg.mode='whole' for UNet++ at any image size: one pass, padding dropped, original size restored,
flips undone, and the same probabilities as a slide window that covers the whole image."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmseg.models import build_segmentor

from .model_cfgs import metas, tiny_segmentor


@pytest.mark.parametrize('height, width', [(17, 23), (45, 51), (93, 101)])
def test_whole_mode_matches_one_covering_window_at_odd_sizes(height, width):
    model = build_segmentor(tiny_segmentor()).eval()
    img = torch.randn(1, 3, height, width)
    with torch.no_grad():
        whole = model.inference(img, metas(height, width))
        model.test_cfg.update(mode='slide', crop_size=(height, width), stride=(height, width))
        slide = model.inference(img, metas(height, width))
    assert whole.shape == (1, 2, height, width)
    torch.testing.assert_close(whole, slide)


@pytest.mark.parametrize('direction, dim', [('horizontal', 3), ('vertical', 2)])
def test_whole_mode_flip_test_restores_padding_size_and_orientation(direction, dim):
    """A 45x51 image padded to 64x64 and shown flipped: the prediction is the unflipped one at 90x102."""
    model = build_segmentor(tiny_segmentor()).eval()
    img = torch.randn(1, 3, 45, 51)
    padded = F.pad(img, (0, 13, 0, 19))
    meta = dict(ori_shape=(90, 102, 3), img_shape=(45, 51, 3), pad_shape=(64, 64, 3))
    flipped = F.pad(img.flip(dim), (0, 13, 0, 19))
    with torch.no_grad():
        (result,) = model.aug_test([padded, flipped], [[dict(meta, flip=False)],
                                                       [dict(meta, flip=True, flip_direction=direction)]],
                                   return_prob=True)
        def restored_prob(view):
            logit = model.encode_decode(view, None)[:, :, :45, :51]
            return F.softmax(F.interpolate(logit, size=(90, 102), mode='bilinear', align_corners=False), dim=1)

        expected = (restored_prob(padded) + restored_prob(flipped).flip(dim)) / 2
    assert result.prob.shape == (90, 102)
    np.testing.assert_allclose(result.prob, expected[0, 1].numpy(), atol=1e-3)  # prob is float16
