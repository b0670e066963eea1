import copy
import warnings

import numpy as np
import pytest
import torch

from mmseg.datasets.pipelines import Collect, DefaultFormatBundle, ImageToTensor, MultiScaleFlipAug

TTA_STEPS = [dict(type='Resize', keep_ratio=True), dict(type='RandomFlip'),
             dict(type='ImageToTensor', keys=['img']), dict(type='Collect', keys=['img'])]


def test_default_format_bundle_types_and_shapes(sample):
    sample['img'] = sample['img'].astype(np.float32)
    out = DefaultFormatBundle()(copy.deepcopy(sample))
    assert out['img'].shape == (3, 60, 80) and out['img'].dtype == torch.float32
    assert out['gt_semantic_seg'].shape == (1, 60, 80) and out['gt_semantic_seg'].dtype == torch.int64
    assert torch.equal(out['img'][:, 5, 7], torch.from_numpy(sample['img'][5, 7]))
    assert repr(DefaultFormatBundle()) == 'DefaultFormatBundle()'


def test_read_only_cached_arrays_convert_without_warnings(sample):
    sample['img'].setflags(write=False)
    sample['gt_semantic_seg'].setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        out = DefaultFormatBundle()(dict(sample))
        gray = ImageToTensor(['seg'])(dict(seg=sample['gt_semantic_seg']))
    assert out['img'].shape == (3, 60, 80) and gray['seg'].shape == (1, 60, 80)
    assert repr(ImageToTensor(['img'])) == "ImageToTensor(keys=['img'])"


def test_collect_keeps_keys_and_meta(sample):
    sample.update(flip=False, flip_direction='horizontal')
    data = Collect(keys=['img', 'gt_semantic_seg'])(sample)
    assert set(data) == {'img', 'gt_semantic_seg', 'img_metas'}
    assert set(data['img_metas']) == {'filename', 'ori_filename', 'ori_shape', 'img_shape', 'pad_shape',
                                      'scale_factor', 'flip', 'flip_direction', 'img_norm_cfg'}
    assert Collect(keys=['img'], meta_keys=['filename'])(sample)['img_metas'] == {'filename': 'x.png'}
    with pytest.raises(KeyError, match='flip'):
        Collect(keys=['img'])({'img': 1, 'filename': 'a'})
    assert repr(Collect(['img'], meta_keys=['filename'])) == "Collect(keys=['img'], meta_keys=['filename'])"


def test_multi_scale_flip_aug_one_output_per_scale_and_flip(sample):
    tta = MultiScaleFlipAug(TTA_STEPS, img_scale=[(40, 30), (160, 120)], flip=True,
                            flip_direction=['horizontal', 'vertical'])
    out = tta(copy.deepcopy(sample))
    assert len(out['img']) == len(out['img_metas']) == 6
    assert [tuple(t.shape[1:]) for t in out['img']] == [(30, 40)] * 3 + [(120, 160)] * 3
    assert [(m['flip'], m['flip_direction']) for m in out['img_metas'][:3]] == [
        (False, 'horizontal'), (True, 'horizontal'), (True, 'vertical')]
    assert torch.equal(out['img'][1], out['img'][0].flip(-1))


def test_multi_scale_flip_aug_ratios(sample):
    single = MultiScaleFlipAug(TTA_STEPS, img_scale=(80, 60), flip=False)(copy.deepcopy(sample))
    assert len(single['img']) == 1 and single['img'][0].shape == (3, 60, 80)
    ratios = MultiScaleFlipAug(TTA_STEPS, img_scale=(80, 60), img_ratios=[0.5, 1.0])
    assert ratios.img_scale == [(40, 30), (80, 60)]
    assert MultiScaleFlipAug(TTA_STEPS, img_scale=[80, 60], img_ratios=[0.5]).img_scale == [(40, 30)]
    own_size = MultiScaleFlipAug(TTA_STEPS, img_scale=None, img_ratios=[0.5, 2.0])(copy.deepcopy(sample))
    assert [tuple(t.shape[1:]) for t in own_size['img']] == [(30, 40), (120, 160)]
    with pytest.raises(ValueError, match='img_ratios'):
        MultiScaleFlipAug(TTA_STEPS, img_scale=None)
    assert 'MultiScaleFlipAug(transforms=Compose' in repr(ratios)
