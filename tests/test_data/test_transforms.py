import copy

import numpy as np
import pytest

from mmseg.datasets.pipelines import (Compose, Normalize, Pad, PhotoMetricDistortion, RandomCrop, RandomFlip,
                                      RandomRotate90, Resize)
from mmseg.datasets.pipelines.deferred import (ConsumesPendingResize, PendingResize, PendingResizeError, image_shape,
                                               pending_resize)


def test_resize_keep_ratio_fits_scale_bounds(sample):
    results = Resize(img_scale=(160, 90), keep_ratio=True)(sample)
    assert results['img'].shape == (90, 120, 3) and results['gt_semantic_seg'].shape == (90, 120)
    assert results['img_shape'] == results['pad_shape'] == (90, 120, 3)
    assert np.allclose(results['scale_factor'], [1.5, 1.5, 1.5, 1.5]) and results['keep_ratio']
    assert set(np.unique(results['gt_semantic_seg'])) == {0, 1, 255}  # nearest: no new labels


def test_resize_without_keep_ratio_is_exact(sample):
    results = Resize(img_scale=(50, 30), keep_ratio=False)(sample)
    assert results['img'].shape == (30, 50, 3)
    assert np.allclose(results['scale_factor'], [50 / 80, 0.5, 50 / 80, 0.5])


def test_resize_ratio_range_draws_within_bounds(sample):
    np.random.seed(0)
    sizes = set()
    for _ in range(30):
        out = Resize(img_scale=(80, 60), ratio_range=(0.5, 2.0))(copy.deepcopy(sample))
        h, w = out['img'].shape[:2]
        assert 30 <= h <= 120 and 40 <= w <= 160 and abs(w / h - 80 / 60) < 0.05
        sizes.add((h, w))
    assert len(sizes) > 10
    no_scale = Resize(img_scale=None, ratio_range=(2.0, 2.0))(copy.deepcopy(sample))
    assert no_scale['img'].shape == (120, 160, 3)


def test_resize_value_and_range_modes(sample):
    np.random.seed(0)
    value = Resize(img_scale=[(40, 30), (160, 120)], multiscale_mode='value')
    assert {value(copy.deepcopy(sample))['img'].shape[0] for _ in range(20)} == {30, 120}
    ranged = Resize(img_scale=[(40, 30), (160, 120)], multiscale_mode='range')
    heights = {ranged(copy.deepcopy(sample))['img'].shape[0] for _ in range(20)}
    assert len(heights) > 5 and min(heights) >= 30 and max(heights) <= 120


def test_resize_uses_scale_from_results_and_needs_one(sample):
    assert Resize()(dict(sample, scale=(40, 30)))['img'].shape == (30, 40, 3)
    assert Resize(img_scale=[40, 30])(dict(sample))['img'].shape == (30, 40, 3)  # a list after a config dump
    with pytest.raises(KeyError, match='img_scale'):
        Resize()(sample)
    with pytest.raises(ValueError, match='ratio_range'):
        Resize(img_scale=[(1, 1), (2, 2)], ratio_range=(0.5, 2))


def test_random_crop_sizes_and_smaller_images(sample):
    np.random.seed(0)
    out = RandomCrop(crop_size=(20, 30))(copy.deepcopy(sample))
    assert out['img'].shape == (20, 30, 3) and out['gt_semantic_seg'].shape == (20, 30)
    assert out['img_shape'] == (20, 30, 3)
    big = RandomCrop(crop_size=(100, 100))(copy.deepcopy(sample))
    assert big['img'].shape == (60, 80, 3)


def test_random_crop_keeps_image_and_label_aligned(sample):
    sample['img'][..., 0] = np.arange(80)[None, :]
    sample['img'][..., 1] = np.arange(60)[:, None]
    np.random.seed(3)
    out = RandomCrop(crop_size=(10, 10))(copy.deepcopy(sample))
    y1, x1 = out['img'][0, 0, 1], out['img'][0, 0, 0]
    assert np.array_equal(out['gt_semantic_seg'], sample['gt_semantic_seg'][y1:y1 + 10, x1:x1 + 10])


def test_cat_max_ratio_rejects_one_class_windows():
    seg = np.zeros((100, 100), np.uint8)
    seg[90:, 90:] = 1  # only windows touching the corner hold two classes
    sample = dict(img=np.zeros((100, 100, 3), np.uint8), gt_semantic_seg=seg, seg_fields=['gt_semantic_seg'])
    np.random.seed(0)
    balanced = [RandomCrop((20, 20), cat_max_ratio=0.99)(copy.deepcopy(sample))['gt_semantic_seg'].max()
                for _ in range(30)]
    np.random.seed(0)
    plain = [RandomCrop((20, 20))(copy.deepcopy(sample))['gt_semantic_seg'].max() for _ in range(30)]
    assert sum(balanced) > sum(plain)


def test_random_flip_prob_and_direction(sample):
    flipped = RandomFlip(prob=1.0)(copy.deepcopy(sample))
    assert flipped['flip'] and flipped['flip_direction'] == 'horizontal'
    assert np.array_equal(flipped['img'], sample['img'][:, ::-1])
    assert np.array_equal(flipped['gt_semantic_seg'], sample['gt_semantic_seg'][:, ::-1])
    kept = RandomFlip(prob=0.0)(copy.deepcopy(sample))
    assert not kept['flip'] and np.array_equal(kept['img'], sample['img'])
    vertical = RandomFlip(prob=1.0, direction='vertical')(copy.deepcopy(sample))
    assert np.array_equal(vertical['gt_semantic_seg'], sample['gt_semantic_seg'][::-1])
    forced = RandomFlip()(dict(copy.deepcopy(sample), flip=True, flip_direction='vertical'))
    assert np.array_equal(forced['img'], sample['img'][::-1])
    np.random.seed(0)
    assert 30 < sum(RandomFlip(prob=0.5)(copy.deepcopy(sample))['flip'] for _ in range(100)) < 70


def test_random_rotate90_is_exact_and_covers_all_angles():
    img = np.arange(6 * 4 * 3, dtype=np.uint8).reshape(6, 4, 3)
    seg = np.arange(24, dtype=np.uint8).reshape(6, 4)
    sample = dict(img=img, gt_semantic_seg=seg, seg_fields=['gt_semantic_seg'], img_shape=img.shape)
    np.random.seed(0)
    seen = set()
    for _ in range(200):
        out = RandomRotate90()(copy.deepcopy(sample))
        k = out['rotate90']
        seen.add(k)
        assert np.array_equal(out['img'], np.rot90(img, k)) and out['img'].flags['C_CONTIGUOUS']
        assert np.array_equal(out['gt_semantic_seg'], np.rot90(seg, k))
        assert out['img_shape'] == out['img'].shape == ((4, 6, 3) if k % 2 else (6, 4, 3))
    assert seen == {0, 1, 2, 3}
    assert RandomRotate90(prob=0.0)(copy.deepcopy(sample))['rotate90'] == 0
    with pytest.raises(ValueError, match='RandomRotate90: prob must be in'):
        RandomRotate90(prob=1.5)


def test_photometric_distortion_changes_colours_not_shape(sample):
    np.random.seed(1)
    transform = PhotoMetricDistortion()
    outputs = [transform(copy.deepcopy(sample))['img'] for _ in range(5)]
    assert all(o.dtype == np.uint8 and o.shape == sample['img'].shape for o in outputs)
    assert sum(not np.array_equal(o, sample['img']) for o in outputs) >= 3
    np.random.seed(1)
    assert np.array_equal(transform(copy.deepcopy(sample))['img'], outputs[0])


def test_photometric_convert_clips():
    img = np.array([[[10, 200, 250]]], np.uint8)
    assert PhotoMetricDistortion.convert(img, alpha=2, beta=-30).tolist() == [[[0, 255, 255]]]


def test_normalize(sample):
    out = Normalize(mean=[1, 2, 3], std=[2, 2, 2], to_rgb=True)(copy.deepcopy(sample))
    expected = (sample['img'][..., ::-1].astype(np.float32) - [1, 2, 3]) / 2
    assert out['img'].dtype == np.float32 and np.allclose(out['img'], expected)
    assert out['img_norm_cfg']['to_rgb'] and out['img_norm_cfg']['mean'].tolist() == [1, 2, 3]


def test_pad_to_size_or_divisor(sample):
    out = Pad(size=(64, 96), pad_val=0, seg_pad_val=255)(copy.deepcopy(sample))
    assert out['img'].shape == (64, 96, 3) and out['pad_shape'] == (64, 96, 3)
    assert (out['gt_semantic_seg'][60:] == 255).all() and (out['img'][:, 80:] == 0).all()
    assert np.array_equal(out['gt_semantic_seg'][:60, :80], sample['gt_semantic_seg'])
    assert Pad(size_divisor=32)(copy.deepcopy(sample))['img'].shape == (64, 96, 3)
    with pytest.raises(ValueError, match='exactly one'):
        Pad(size=(2, 2), size_divisor=2)


def _train_steps(crop=(24, 24)):
    return [dict(type='Resize', img_scale=(80, 60), ratio_range=(0.5, 2.0)),
            dict(type='RandomCrop', crop_size=crop, cat_max_ratio=0.75),
            dict(type='RandomFlip', prob=0.5)]


def test_deferred_resize_gives_the_same_samples_as_resizing_first(sample):
    sample['img'] = np.ascontiguousarray(np.broadcast_to(
        (np.sin(np.arange(80) / 5)[None, :, None] * 100 + 120), (60, 80, 3))).astype(np.uint8)
    for seed in range(25):
        outs = []
        for deferred in (True, False):
            np.random.seed(seed)
            outs.append(Compose(_train_steps(), allow_deferred=deferred)(copy.deepcopy(sample)))
        fast, slow = outs
        assert np.array_equal(fast['gt_semantic_seg'], slow['gt_semantic_seg'])
        assert fast['img'].shape == slow['img'].shape and fast['img_shape'] == slow['img_shape']
        assert np.abs(fast['img'].astype(int) - slow['img']).max() <= 1
        assert np.array_equal(fast['scale_factor'], slow['scale_factor'])
        assert 'deferred_resize' not in fast


def test_deferral_only_where_a_crop_follows(sample):
    assert Compose(_train_steps())._deferred_steps == [True, False, False]
    no_crop = Compose([dict(type='Resize', img_scale=(40, 30)), dict(type='RandomFlip', prob=1.0)])
    assert no_crop._deferred_steps == [False, False]
    assert no_crop(copy.deepcopy(sample))['img'].shape == (30, 40, 3)


def test_a_pending_resize_is_a_record_of_the_target_over_the_source_image(sample):
    results = Resize(img_scale=(40, 30), keep_ratio=False).defer(copy.deepcopy(sample))
    assert pending_resize(results) == PendingResize(size=(40, 30), interpolation='bilinear',
                                                    source_shape=(60, 80, 3), deferred_by='Resize')
    assert results['img'].shape == (60, 80, 3) and results['img_shape'] == image_shape(results) == (30, 40, 3)


class _Shrug:
    """A custom transform that knows nothing of pending resizes."""

    def __call__(self, results):
        return results


class _LazyCrop(ConsumesPendingResize):
    """Claims to consume a pending resize but leaves it pending."""

    def __call__(self, results):
        return results


def test_a_pending_resize_that_reaches_a_transform_that_does_not_consume_it_is_an_error(sample):
    pipeline = Compose(_train_steps())
    pipeline.transforms[1] = _Shrug()  # the crop replaced after the deferral was planned
    with pytest.raises(PendingResizeError, match=r'Resize deferred a resize to \d+x\d+ and _Shrug was reached with '
                                                 r'it still pending: _Shrug does not carry out a pending resize'):
        pipeline(copy.deepcopy(sample))
    del pipeline.transforms[1:]  # the crop removed: the pipeline ends with the resize pending
    with pytest.raises(PendingResizeError, match='Resize deferred .* the end of the pipeline was reached'):
        pipeline(copy.deepcopy(sample))


def test_a_consumer_that_leaves_the_resize_pending_is_an_error(sample):
    steps = [dict(type='Resize', img_scale=(40, 30)), _LazyCrop(), dict(type='RandomFlip', prob=1.0)]
    assert Compose(steps)._deferred_steps == [True, False, False]
    with pytest.raises(PendingResizeError, match='Resize deferred a resize and _LazyCrop left it pending'):
        Compose(steps)(copy.deepcopy(sample))
    eager = Compose(steps, allow_deferred=False)
    assert eager._deferred_steps == [False, False, False]
    assert eager(copy.deepcopy(sample))['img'].shape == (30, 40, 3)


def test_compose_stops_on_none_and_rejects_non_callables(sample):
    assert Compose([lambda r: None, lambda r: pytest.fail('ran after None')])(sample) is None
    with pytest.raises(TypeError, match='callable'):
        Compose([3])
    with pytest.raises(KeyError, match='Resise'):
        Compose([dict(type='Resise')])


def test_reprs():
    assert repr(Resize(img_scale=(584, 565), ratio_range=(0.5, 2.0))) == (
        "Resize(img_scale=[(584, 565)], multiscale_mode='range', ratio_range=(0.5, 2.0), keep_ratio=True)")
    assert repr(RandomCrop((64, 64), 0.75)) == 'RandomCrop(crop_size=(64, 64), cat_max_ratio=0.75, ignore_index=255)'
    assert repr(RandomFlip(0.5)) == "RandomFlip(prob=0.5, direction='horizontal')"
    assert repr(PhotoMetricDistortion()) == ('PhotoMetricDistortion(brightness_delta=32, contrast_range=(0.5, 1.5), '
                                             'saturation_range=(0.5, 1.5), hue_delta=18)')
    assert repr(Normalize([1, 2, 3], [4, 5, 6])) == 'Normalize(mean=[1.0, 2.0, 3.0], std=[4.0, 5.0, 6.0], to_rgb=True)'
    assert repr(Pad(size=(64, 64))) == 'Pad(size=(64, 64), size_divisor=None, pad_val=0, seg_pad_val=255)'
    assert 'RandomCrop' in repr(Compose(_train_steps()))
