"""CLAHE, AdjustGamma, Rerange, RGB2Gray, RandomRotate, SegRescale: each against an independent computation."""
import cv2
import numpy as np
import pytest

from mmcv.registry import build_from_cfg
from mmseg.datasets.builder import PIPELINES
from mmseg.datasets.pipelines import Compose
from mmseg.datasets.pipelines.loading import set_image


def _build(**cfg):
    return build_from_cfg(cfg, PIPELINES)


def _sample(img, **fields):
    return set_image(dict(fields, seg_fields=list(fields)), img, 'x.png', 'x.png')


def _low_contrast(shape=(64, 48, 3), seed=0):
    rng = np.random.default_rng(seed)
    img = rng.integers(90, 130, shape, dtype=np.uint8)
    img.setflags(write=False)  # as images cached by the loaders: transforms must not write into them
    return img


def test_clahe_equalises_each_channel_as_opencv():
    img = _low_contrast()
    out = _build(type='CLAHE', clip_limit=40.0, tile_grid_size=(8, 8))(_sample(img))['img']
    reference = cv2.createCLAHE(clipLimit=40.0, tileGridSize=(8, 8))
    for c in range(3):
        assert np.array_equal(out[..., c], reference.apply(np.ascontiguousarray(img[..., c])))
    assert out.dtype == np.uint8 and out.std() > 2 * img.std()  # contrast stretched
    gray = _build(type='CLAHE', clip_limit=2, tile_grid_size=[4, 4])(_sample(img[..., 0].copy()))['img']
    assert np.array_equal(gray, cv2.createCLAHE(2.0, (4, 4)).apply(np.ascontiguousarray(img[..., 0])))
    as_float = _build(type='CLAHE')(_sample(img.astype(np.float32)))['img']
    assert as_float.dtype == np.float32 and np.array_equal(as_float, out)
    with pytest.raises(ValueError, match='tile_grid_size'):
        _build(type='CLAHE', tile_grid_size=(8,))


def test_adjust_gamma_is_the_power_law_table():
    img = np.arange(256, dtype=np.uint8).reshape(16, 16)
    for gamma in (0.5, 1.0, 2.2):
        out = _build(type='AdjustGamma', gamma=gamma)(_sample(img))['img']
        expected = np.floor(255 * (np.arange(256) / 255) ** (1 / gamma)).astype(np.uint8).reshape(16, 16)
        assert np.array_equal(out, expected)
    assert np.array_equal(_build(type='AdjustGamma', gamma=1)(_sample(img))['img'], img)
    with pytest.raises(ValueError, match='gamma must be a positive number'):
        _build(type='AdjustGamma', gamma=0)


def test_rerange_maps_min_max_linearly():
    img = _low_contrast()
    out = _build(type='Rerange', min_value=-1, max_value=1)(_sample(img))['img']
    lo, hi = int(img.min()), int(img.max())
    assert np.allclose(out, (img.astype(np.float64) - lo) / (hi - lo) * 2 - 1, atol=1e-6)
    assert out.min() == -1 and out.max() == 1
    with pytest.raises(ValueError, match='image x.png is constant'):
        _build(type='Rerange')(_sample(np.full((4, 4, 3), 7, np.uint8)))
    with pytest.raises(ValueError, match='min_value must be below max_value'):
        _build(type='Rerange', min_value=3, max_value=3)


def test_rgb2gray_weights_channels_in_image_order():
    img = np.zeros((2, 3, 3), np.uint8)
    img[..., 0], img[..., 1], img[..., 2] = 100, 50, 10
    out = _build(type='RGB2Gray')(_sample(img))['img']
    assert out.shape == (2, 3, 3) and np.allclose(out, 0.299 * 100 + 0.587 * 50 + 0.114 * 10)
    one = _build(type='RGB2Gray', out_channels=1, weights=[0, 0, 1])(_sample(img))
    assert one['img'].shape == (2, 3, 1) and np.all(one['img'] == 10) and one['img_shape'] == (2, 3, 1)
    with pytest.raises(ValueError, match=r'shape \(2, 3\) needs 3 channels'):
        _build(type='RGB2Gray')(_sample(img[..., 0].copy()))


def test_random_rotate_quarter_turn_is_rot90_clockwise():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (9, 9, 3), dtype=np.uint8)
    seg = rng.integers(0, 2, (9, 9), dtype=np.uint8)
    fov = np.ones((9, 9), np.uint8)
    out = _build(type='RandomRotate', prob=1.0, degree=(90, 90))(_sample(img, gt_semantic_seg=seg, gt_fov_mask=fov))
    assert out['rotate_degree'] == 90
    for key, source in (('img', img), ('gt_semantic_seg', seg), ('gt_fov_mask', fov)):
        assert np.array_equal(out[key], np.rot90(source, -1)), key  # positive angles turn clockwise


def test_random_rotate_auto_bound_holds_the_whole_image():
    seg = np.arange(24, dtype=np.uint8).reshape(4, 6)
    out = _build(type='RandomRotate', prob=1.0, degree=(-90, -90), auto_bound=True)(
        _sample(np.zeros((4, 6, 3), np.uint8), gt_semantic_seg=seg))
    assert out['gt_semantic_seg'].shape == (6, 4) and out['img_shape'][:2] == (6, 4)
    assert np.array_equal(out['gt_semantic_seg'], np.rot90(seg, 1))  # -90: a quarter turn counter-clockwise
    with pytest.raises(ValueError, match='auto_bound .* needs center=None'):
        _build(type='RandomRotate', prob=1.0, degree=10, center=(1, 1), auto_bound=True)


def test_random_rotate_moves_a_point_and_pads_each_field_with_its_value():
    size, radius, angle = 41, 12, 30.0
    c = (size - 1) / 2
    seg = np.zeros((size, size), np.uint8)
    seg[int(c), int(c) + radius] = 1  # a point right of the centre
    img = np.full((size, size, 3), 200, np.uint8)
    out = _build(type='RandomRotate', prob=1.0, degree=(angle, angle), pad_val=7, seg_pad_val=255)(
        _sample(img, gt_semantic_seg=seg, gt_fov_mask=np.ones((size, size), np.uint8)))
    ys, xs = np.nonzero(out['gt_semantic_seg'] == 1)
    theta = np.deg2rad(angle)  # clockwise on screen (y down): x' = c + r cos, y' = c + r sin
    assert len(ys) == 1
    assert abs(xs[0] - (c + radius * np.cos(theta))) <= 1 and abs(ys[0] - (c + radius * np.sin(theta))) <= 1
    assert out['gt_semantic_seg'][0, 0] == 255 and out['gt_fov_mask'][0, 0] == 0  # label ignored, FOV outside
    assert tuple(out['img'][0, 0]) == (7, 7, 7)
    assert out['gt_fov_mask'][int(c), int(c)] == 1 and out['img'][int(c), int(c), 0] == 200


def test_random_rotate_draws_like_mmseg_and_skips_with_prob_zero():
    img = np.zeros((5, 5, 3), np.uint8)
    np.random.seed(3)
    out = _build(type='RandomRotate', prob=0.0, degree=20)(_sample(img))
    assert out['rotate_degree'] == 0.0 and out['img'] is img
    np.random.seed(3)
    np.random.rand()
    expected = np.random.uniform(-20, 20)
    np.random.seed(3)
    assert _build(type='RandomRotate', prob=1.0, degree=20)(_sample(img))['rotate_degree'] == pytest.approx(expected)
    with pytest.raises(ValueError, match='degree -5 must be positive'):
        _build(type='RandomRotate', prob=0.5, degree=-5)


def test_seg_rescale_resizes_labels_only_nearest():
    seg = np.arange(48, dtype=np.uint8).reshape(6, 8)
    img = np.zeros((6, 8, 3), np.uint8)
    out = _build(type='SegRescale', scale_factor=0.5)(_sample(img, gt_semantic_seg=seg, gt_fov_mask=seg.copy()))
    assert np.array_equal(out['gt_semantic_seg'], seg[::2, ::2]) and np.array_equal(out['gt_fov_mask'], seg[::2, ::2])
    assert out['img'].shape == (6, 8, 3)
    doubled = _build(type='SegRescale', scale_factor=2)(_sample(img, gt_semantic_seg=seg))['gt_semantic_seg']
    assert np.array_equal(doubled, np.repeat(np.repeat(seg, 2, 0), 2, 1))


def test_geometric_transforms_follow_a_deferred_resize_in_a_pipeline(retinal_tree):
    """Resize -> RandomRotate -> RandomCrop: the resize is carried out (not deferred) before the rotation."""
    root = retinal_tree('STARE')
    pipeline = Compose([dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), dict(type='LoadFOVMask'),
                        dict(type='Resize', img_scale=(160, 144), keep_ratio=True),
                        dict(type='RandomRotate', prob=1.0, degree=(90, 90), auto_bound=True),
                        dict(type='RandomCrop', crop_size=(200, 200))])
    assert pipeline._deferred_steps == [False] * 6
    results = pipeline(dict(img_info=dict(filename='im0001.png', fov='im0001_mask.png'),
                            ann_info=dict(seg_map='im0001.ah.png'), img_prefix=f'{root}/images/training',
                            seg_prefix=f'{root}/annotations/training', fov_prefix=f'{root}/masks/training',
                            seg_fields=[]))
    assert results['img'].shape == (160, 144, 3)
    for key in ('gt_semantic_seg', 'gt_fov_mask'):
        assert results[key].shape == (160, 144)
    source = cv2.imread(f'{root}/masks/training/im0001_mask.png', cv2.IMREAD_UNCHANGED)
    expected = np.rot90(cv2.resize(source, (160, 144), interpolation=cv2.INTER_NEAREST), -1)
    assert np.array_equal(results['gt_fov_mask'], expected)
