"""LoadFOVMask and FOVRescale: the field of view measured, images rescaled to a common FOV diameter."""
import os.path as osp

import cv2
import numpy as np
import pytest

from mmcv.config import Config
from mmcv.registry import build_from_cfg
from mmseg.datasets import STAREDataset, build_dataset
from mmseg.datasets.builder import PIPELINES
from mmseg.datasets.pipelines import Compose
from mmseg.datasets.pipelines.fov import estimate_fov_mask, fov_diameter
from mmseg.datasets.pipelines.loading import set_image
from retinal_fakes import fundus

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _disc_sample(size=(200, 150), fov_diameter_frac=0.6, with_mask=False):
    img, vessels, _, fov = fundus(size, seed=0, fov_diameter=fov_diameter_frac)
    fields = dict(gt_semantic_seg=vessels)
    if with_mask:
        fields['gt_fov_mask'] = fov
    results = set_image(dict(fields, seg_fields=list(fields)), img, 'x.png', 'x.png')
    return results, 2 * int(round(fov_diameter_frac * size[0] / 2)) + 1  # cv2.circle of radius R: 2R + 1 px


def test_fov_diameter_is_the_widest_chord_of_the_disc():
    mask = np.zeros((100, 160), np.uint8)
    cv2.circle(mask, (80, 50), 60, 1, -1)  # diameter 121, cut at the top and bottom
    assert fov_diameter(mask) == 121
    assert fov_diameter(mask.T) == 121  # cut at the sides instead
    mask[0, 0] = mask[99, 159] = 1  # isolated noise
    assert fov_diameter(mask) == 121
    assert fov_diameter(np.zeros((5, 5), np.uint8)) == 0
    img = np.zeros((100, 160, 3), np.uint8)
    img[mask > 0] = (5, 10, 60)  # fundus red: the brightest channel counts
    assert np.array_equal(estimate_fov_mask(img, threshold=20), mask)


@pytest.mark.parametrize('with_mask', [True, False])
def test_fov_rescale_brings_the_fov_to_the_diameter(with_mask):
    results, found = _disc_sample(with_mask=with_mask)
    out = build_from_cfg(dict(type='FOVRescale', diameter=300), PIPELINES)(results)
    assert out['fov_diameter'] == found and out['fov_scale'] == pytest.approx(300 / out['fov_diameter'])
    h, w = out['img'].shape[:2]
    assert (w, h) == (int(200 * out['fov_scale'] + 0.5), int(150 * out['fov_scale'] + 0.5))
    assert out['ori_shape'] == (150, 200, 3) and out['img_shape'] == out['pad_shape'] == out['img'].shape
    assert out['gt_semantic_seg'].shape == (h, w) and set(np.unique(out['gt_semantic_seg'])) <= {0, 1}
    assert abs(fov_diameter(estimate_fov_mask(out['img'])) - 300) <= 2
    assert np.allclose(out['scale_factor'], [w / 200, h / 150] * 2)


def test_fov_rescale_without_a_fov_says_why():
    results = set_image(dict(seg_fields=[]), np.zeros((20, 30, 3), np.uint8), 'dark.png', 'dark.png')
    with pytest.raises(ValueError, match='no field of view in image dark.png: no pixel is brighter than threshold=20'):
        build_from_cfg(dict(type='FOVRescale'), PIPELINES)(results)
    with pytest.raises(ValueError, match='diameter must be a finite positive number'):
        build_from_cfg(dict(type='FOVRescale', diameter=0), PIPELINES)


@pytest.mark.parametrize('args, message', [
    (dict(diameter=float('nan')), 'diameter must be a finite positive number of pixels, got nan'),
    (dict(diameter=float('inf')), 'diameter must be a finite positive number of pixels, got inf'),
    (dict(diameter=-540), 'diameter must be a finite positive number'),
    (dict(diameter='540'), 'diameter must be a finite positive number'),
    (dict(threshold=float('nan')), r'threshold must be a number in \[0, 255\).*got nan'),
    (dict(threshold=255), r'threshold must be a number in \[0, 255\)'),
    (dict(threshold=-1), r'threshold must be a number in \[0, 255\)'),
    (dict(max_scale=float('inf')), 'max_scale must be a finite positive number, got inf'),
    (dict(max_scale=0), 'max_scale must be a finite positive number'),
    (dict(interpolation='cubic'), "interpolation must be one of .*'bicubic'"),
])
def test_fov_rescale_arguments_are_checked_when_built(args, message):
    with pytest.raises(ValueError, match='FOVRescale: ' + message):
        build_from_cfg(dict(type='FOVRescale', **args), PIPELINES)


@pytest.mark.parametrize('deferred', [False, True])
def test_a_tiny_bright_speck_is_not_a_field_of_view_to_upscale(deferred):
    img = np.zeros((64, 64, 3), np.uint8)
    img[30:32, 30:32] = 200  # near-black image: the FOV estimate is the 2 px speck, 540 / 2 = 270x
    results = set_image(dict(seg_fields=[]), img, 'speck.png', 'speck.png')
    rescale = build_from_cfg(dict(type='FOVRescale'), PIPELINES)
    with pytest.raises(ValueError, match=r'FOVRescale: image speck.png: its field of view measures 2 px across '
                                         r'\(no FOV mask: pixels brighter than threshold=20\); reaching diameter=540 '
                                         r'needs a 270x upscale \(17280x17280 px\), above max_scale=8'):
        rescale.defer(results) if deferred else rescale(results)
    assert 'deferred_resize' not in results and results['img_shape'] == (64, 64, 3)  # nothing planned
    allowed = build_from_cfg(dict(type='FOVRescale', diameter=20, max_scale=10), PIPELINES)(results)
    assert allowed['img'].shape == (640, 640, 3) and allowed['fov_scale'] == 10  # the cap is configurable


def test_fov_rescale_before_a_crop_is_deferred_with_the_same_labels():
    steps = [dict(type='FOVRescale', diameter=240), dict(type='RandomCrop', crop_size=(64, 64))]
    deferred, eager = Compose(steps), Compose(steps, allow_deferred=False)
    assert deferred._deferred_steps[0] and not eager._deferred_steps[0]
    for seed in range(3):
        np.random.seed(seed)
        a = deferred(_disc_sample(with_mask=True)[0])
        np.random.seed(seed)
        b = eager(_disc_sample(with_mask=True)[0])
        for key in ('gt_semantic_seg', 'gt_fov_mask'):
            assert np.array_equal(a[key], b[key])
        assert np.abs(a['img'].astype(int) - b['img'].astype(int)).max() <= 1


def test_load_fov_mask_needs_a_dataset_with_fov_dir(retinal_tree):
    root = retinal_tree('STARE')
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), dict(type='LoadFOVMask')]
    with_fov = STAREDataset(pipeline=pipeline, data_root=root, img_dir='images/training',
                            ann_dir='annotations/training', fov_dir='masks/training')
    sample = with_fov[0]
    assert sample['seg_fields'] == ['gt_semantic_seg', 'gt_fov_mask']
    assert sample['gt_fov_mask'].dtype == np.uint8 and set(np.unique(sample['gt_fov_mask'])) == {0, 1}
    without = STAREDataset(pipeline=pipeline, data_root=root, img_dir='images/training',
                           ann_dir='annotations/training')
    with pytest.raises(KeyError, match='im0001.png has no FOV mask; set fov_dir'):
        without[0]


def test_fov_rescaled_test_pipeline_keeps_original_size_for_metrics(retinal_tree):
    """The STARE test pipeline of stare_fov540.py: the model sees the rescaled image, metrics the original."""
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets/stare_fov540.py'))
    cfg.data.test.data_root = retinal_tree('STARE', size=(160, 140))
    dataset = build_dataset(cfg.data.test, dict(test_mode=True))
    meta = dataset[0]['img_metas'][0]
    fov = dataset.get_fov_mask_by_idx(0)
    assert meta['ori_shape'] == (140, 160, 3) and fov.shape == dataset.get_gt_seg_map_by_idx(0).shape == (140, 160)
    assert meta['img_shape'][1] == int(160 * 540 / fov_diameter(fov) + 0.5)
    assert dataset[0]['img'][0].shape[1:] == meta['img_shape'][:2]
