"""Dihedral test-time augmentation (test_cfg.tta='dihedral'): 8 views, each mapped back onto the input's pixels."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mmseg.models import build_segmentor
from mmseg.models.segmentors.test_time import DIHEDRAL_VIEWS, dihedral_view, undo_dihedral_view

from .model_cfgs import metas, tiny_segmentor

SLIDE = dict(mode='slide', crop_size=(16, 12), stride=(10, 7))


def tta_model(encode_decode=None, **test_cfg):
    """A tiny segmentor with ``test_cfg.tta='dihedral'``, its ``encode_decode`` replaced by ``encode_decode``."""
    model = build_segmentor(tiny_segmentor(test_cfg=dict(test_cfg or dict(mode='whole'), tta='dihedral'))).eval()
    if encode_decode is not None:
        model.encode_decode = encode_decode
    return model


def padded_metas(height: int, width: int, pad: int) -> list:
    """One image of ``height`` x ``width`` padded by ``pad`` pixels at the bottom and right, shown at 1.5x."""
    return [dict(ori_shape=(height * 3 // 2, width * 3 // 2, 3), img_shape=(height, width, 3),
                 pad_shape=(height + pad, width + pad, 3), flip=False)]


def test_the_eight_views_are_distinct_and_each_maps_back_onto_the_input():
    img = torch.randn(1, 3, 5, 7)
    views = [dihedral_view(img, turns, flip) for turns, flip in DIHEDRAL_VIEWS]
    assert [tuple(v.shape[2:]) for v in views] == [(5, 7), (7, 5)] * 4
    assert all(not torch.equal(a, b) for i, a in enumerate(views) for b in views[i + 1:] if a.shape == b.shape)
    for (turns, flip), view in zip(DIHEDRAL_VIEWS, views):
        assert torch.equal(undo_dihedral_view(view, turns, flip), img)
    seen = []
    model = tta_model(lambda x, metas: seen.append(x) or x[:, :2])  # output = input: equivariant
    with torch.no_grad():
        prob = model.inference(img, metas(5, 7), rescale=False)
    assert len(seen) == 8 and all(torch.equal(s, v) for s, v in zip(seen, views))
    torch.testing.assert_close(prob, F.softmax(img[:, :2], dim=1))


@pytest.mark.parametrize('test_cfg', [dict(mode='whole'), SLIDE, dict(SLIDE, blend='gaussian')],
                         ids=['whole', 'slide', 'slide_gaussian'])
def test_dihedral_tta_of_an_equivariant_model_is_its_plain_prediction(test_cfg):
    conv = nn.Conv2d(3, 2, 1)  # a per-pixel model commutes with flips and quarter turns
    model = tta_model(lambda x, metas: conv(x), **test_cfg)
    plain = build_segmentor(tiny_segmentor(test_cfg=test_cfg)).eval()
    plain.encode_decode = model.encode_decode
    img = torch.randn(2, 3, 30, 23)
    with torch.no_grad():
        for meta in (metas(30, 23, 2), padded_metas(26, 20, 4) * 2):
            torch.testing.assert_close(model.inference(img, meta), plain.inference(img, meta))


def test_each_view_is_mapped_back_to_the_pixel_it_came_from():
    # the model's vessel logit is the pixel's first channel plus (row + 2 * column) / 8 of its position in the
    # view it sees; pixel (i, j) of an H x W image sits in the views (identity, quarter turns 1-3, then the same
    # after a left-right flip) at the positions below
    def view_position(x, metas):
        rows = torch.arange(x.shape[2], dtype=torch.float32).view(-1, 1)
        cols = torch.arange(x.shape[3], dtype=torch.float32).view(1, -1)
        logit = x[:, :1] + (rows + 2 * cols) / 8
        return torch.cat([torch.zeros_like(logit), logit], dim=1)

    h, w = 6, 9
    i = torch.arange(h, dtype=torch.float32).view(-1, 1).expand(h, w)
    j = torch.arange(w, dtype=torch.float32).view(1, -1).expand(h, w)
    positions = [(i, j), (w - 1 - j, i), (h - 1 - i, w - 1 - j), (j, h - 1 - i),
                 (i, w - 1 - j), (j, i), (h - 1 - i, j), (w - 1 - j, h - 1 - i)]
    img = torch.randn(1, 3, h, w)
    with torch.no_grad():
        prob = tta_model(view_position).inference(img, metas(h, w), rescale=False)
    expected = sum(torch.sigmoid(img[0, 0] + (row + 2 * col) / 8) for row, col in positions) / 8
    torch.testing.assert_close(prob[0, 1], expected)


def test_dihedral_tta_keeps_the_flip_test_of_multi_scale_flip_aug():
    conv = nn.Conv2d(3, 2, 1)
    model = tta_model(lambda x, metas: conv(x))
    img = torch.randn(1, 3, 20, 28)
    flipped = metas(20, 28, flip=True, flip_direction='horizontal')
    with torch.no_grad():
        plain = F.softmax(conv(img), dim=1)
        torch.testing.assert_close(model.inference(img.flip(3), flipped), plain)
        (result,) = model(img=[img, img.flip(3)], img_metas=[metas(20, 28), flipped], return_loss=False,
                          return_prob=True)
    torch.testing.assert_close(torch.from_numpy(result.prob).float(), plain[0, 1], atol=1e-3, rtol=0)


def test_dihedral_tta_of_the_real_model_on_a_padded_non_square_image():
    model = tta_model(**SLIDE)
    with torch.no_grad():
        (result,) = model.simple_test(torch.randn(1, 3, 36, 28), padded_metas(32, 24, 4), return_prob=True)
    assert result.prob.shape == result.label_map.shape == (48, 36)
    assert 0 <= result.prob.min() <= result.prob.max() <= 1


def test_an_unknown_tta_is_refused_when_built():
    with pytest.raises(ValueError, match="test_cfg.tta must be None or 'dihedral'"):
        build_segmentor(tiny_segmentor(test_cfg=dict(mode='whole', tta='d4')))
