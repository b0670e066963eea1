import numpy as np
import pytest

from mmcv.image import imwrite
from mmseg.datasets.pipelines import LoadAnnotations, LoadImageFromFile, LoadImageFromWebcam
from mmseg.datasets.pipelines import loading


@pytest.fixture(autouse=True)
def empty_cache():
    loading.clear_cache()
    yield
    loading.clear_cache()


def test_load_image_sets_image_and_meta(results_of, drive_root):
    results = LoadImageFromFile()(results_of('21'))
    img = results['img']
    assert img.shape == (96, 100, 3) and img.dtype == np.uint8
    assert results['filename'].endswith('images/training/21.png') and results['ori_filename'] == '21.png'
    assert results['img_shape'] == results['ori_shape'] == results['pad_shape'] == (96, 100, 3)
    assert results['scale_factor'] == 1.0
    assert results['img_norm_cfg']['to_rgb'] is False and np.array_equal(results['img_norm_cfg']['std'], np.ones(3))
    assert LoadImageFromFile(to_float32=True)(results_of('21'))['img'].dtype == np.float32
    gray = LoadImageFromFile(color_type='grayscale')(results_of('21'))
    assert gray['img'].shape == (96, 100) and gray['img_norm_cfg']['mean'].shape == (1,)


def test_image_without_prefix_uses_the_filename(tmp_path):
    imwrite(np.zeros((4, 5, 3), np.uint8), tmp_path / 'a.png')
    results = LoadImageFromFile()(dict(img_info=dict(filename=str(tmp_path / 'a.png')), img_prefix=None))
    assert results['img'].shape == (4, 5, 3)


def test_cache_decodes_each_file_once_and_shares_a_read_only_array(results_of, monkeypatch):
    calls = []
    real_imread = loading.imread
    monkeypatch.setattr(loading, 'imread', lambda *a, **k: calls.append(a[0]) or real_imread(*a, **k))
    load = LoadImageFromFile(cache=True)
    first = load(results_of('21'))['img']
    second = load(results_of('21'))['img']
    assert len(calls) == 1 and second is first and not first.flags.writeable
    assert load(results_of('21'))['img'] is first
    LoadImageFromFile(cache=False)(results_of('21'))
    assert len(calls) == 2
    float_img = LoadImageFromFile(to_float32=True, cache=True)(results_of('21'))['img']
    assert len(calls) == 2 and float_img.dtype == np.float32 and float_img.flags.writeable


def test_load_annotations_gives_class_ids(results_of):
    results = LoadAnnotations()(results_of('22'))
    gt = results['gt_semantic_seg']
    assert gt.shape == (96, 100) and gt.dtype == np.uint8 and set(np.unique(gt)) == {0, 1}
    assert results['seg_fields'] == ['gt_semantic_seg']
    cached = LoadAnnotations(cache=True)
    assert cached(results_of('22'))['gt_semantic_seg'] is cached(results_of('22'))['gt_semantic_seg']


def test_label_map_then_reduce_zero_label(tmp_path):
    imwrite(np.array([[0, 1, 2, 255]], np.uint8), tmp_path / 'a.png')
    base = dict(ann_info=dict(seg_map='a.png'), seg_prefix=str(tmp_path), seg_fields=[])
    assert LoadAnnotations(reduce_zero_label=True)(dict(base))['gt_semantic_seg'].tolist() == [[255, 0, 1, 255]]
    mapped = LoadAnnotations()(dict(base, label_map={1: 2, 2: 1}))['gt_semantic_seg']
    assert mapped.tolist() == [[0, 2, 1, 255]]  # swapped at once, not chained
    both = LoadAnnotations(reduce_zero_label=True, cache=True)(dict(base, label_map={2: 0}))['gt_semantic_seg']
    assert both.tolist() == [[255, 0, 255, 255]]


def test_colour_label_maps_are_rejected(tmp_path):
    imwrite(np.zeros((2, 2, 3), np.uint8), tmp_path / 'rgb.png')
    with pytest.raises(ValueError, match='rgb.png'):
        LoadAnnotations()(dict(ann_info=dict(seg_map='rgb.png'), seg_prefix=str(tmp_path), seg_fields=[]))


def test_load_from_array():
    img = np.zeros((3, 4, 3), np.uint8)
    results = LoadImageFromWebcam()(dict(img=img))
    assert results['img'] is img and results['ori_shape'] == (3, 4, 3) and results['filename'] is None


def test_reprs():
    assert repr(LoadImageFromFile(cache=True)) == (
        "LoadImageFromFile(to_float32=False, color_type='color', imdecode_backend='cv2', cache=True)")
    assert repr(LoadAnnotations(reduce_zero_label=True)) == (
        "LoadAnnotations(reduce_zero_label=True, imdecode_backend='pillow', cache=False)")
