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


# ------------------------------------------------------------------- 16-bit files and labels checked on load

def _label_results(folder, name, **extra):
    return dict(ann_info=dict(seg_map=name), seg_prefix=str(folder), seg_fields=[], **extra)


@pytest.mark.parametrize('backend', ['pillow', 'cv2'])
def test_a_16_bit_label_with_values_above_255_is_refused_naming_the_file(tmp_path, backend):
    seg = np.zeros((4, 6), np.uint16)
    seg[1:3, 2:4] = 65535  # a binary mask saved as 16 bits: cast to 8 bits it became 255, the ignore index
    imwrite(seg, tmp_path / 'vessels16.png')
    with pytest.raises(ValueError, match=r'vessels16\.png.*16-bit.*65535.*0\.\.255'):
        LoadAnnotations(imdecode_backend=backend)(_label_results(tmp_path, 'vessels16.png'))


@pytest.mark.parametrize('backend', ['pillow', 'cv2'])
def test_a_16_bit_label_of_class_ids_reads_as_those_ids(tmp_path, backend):
    seg = np.array([[0, 1, 1], [255, 0, 1]], np.uint16)
    imwrite(seg, tmp_path / 'ids16.png')
    for cache in (False, True):
        gt = LoadAnnotations(imdecode_backend=backend, cache=cache)(_label_results(tmp_path, 'ids16.png'))
        assert gt['gt_semantic_seg'].dtype == np.uint8 and gt['gt_semantic_seg'].tolist() == seg.tolist()


def test_an_image_loaded_unchanged_must_be_8_bits(tmp_path):
    imwrite(np.full((4, 5), 40000, np.uint16), tmp_path / 'deep.png')
    results = dict(img_info=dict(filename='deep.png'), img_prefix=str(tmp_path))
    with pytest.raises(ValueError, match=r"deep\.png.*uint16.*color_type='color'"):
        LoadImageFromFile(color_type='unchanged')(results)
    assert LoadImageFromFile()(dict(results))['img'].dtype == np.uint8  # 'color' gives 8 bits (high byte)


@pytest.fixture
def two_class_tree(tmp_path):
    """A DRIVE-like tree of two images whose second label map holds a 2 (no such class) and 255 (ignored)."""
    for sub in ('img', 'ann'):
        (tmp_path / sub).mkdir()
    for name, labels in (('a', [0, 1, 255]), ('b', [0, 1, 2, 255])):
        imwrite(np.full((8, 8, 3), 100, np.uint8), tmp_path / 'img' / f'{name}.png')
        seg = np.zeros((8, 8), np.uint8)
        seg.flat[:len(labels)] = labels
        imwrite(seg, tmp_path / 'ann' / f'{name}.png')
    return tmp_path


def _two_class_set(root, pipeline, **kwargs):
    from mmseg.datasets import DRIVEDataset
    return DRIVEDataset(pipeline=pipeline, img_dir=str(root / 'img'), ann_dir=str(root / 'ann'),
                        seg_map_suffix='.png', **kwargs)


def test_a_label_outside_the_classes_is_an_error_naming_file_values_and_classes(two_class_tree):
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), dict(type='DefaultFormatBundle'),
                dict(type='Collect', keys=['img', 'gt_semantic_seg'], meta_keys=['filename'])]
    dataset = _two_class_set(two_class_tree, pipeline)
    assert dataset[0]['gt_semantic_seg'].shape == (1, 8, 8)  # 0, 1 and the ignore index 255 are fine
    message = r"ann/b\.png holds label values \[2\] \(1 pixel\).*DRIVEDataset.*0\.\.1.*ignore_index 255"
    with pytest.raises(ValueError, match=message):
        dataset[1]  # training: was "IndexError: Target 2 is out of bounds" inside the loss
    with pytest.raises(ValueError, match=message):
        dataset.get_gt_seg_map_by_idx(1)  # testing: was a ValueError naming no file
    cached = _two_class_set(two_class_tree, [dict(type='LoadAnnotations', cache=True)])
    for _ in range(2):  # the check holds for the cached copy too
        with pytest.raises(ValueError, match=message):
            cached[1]


def test_the_label_check_applies_to_the_ids_after_classes_and_reduce_zero_label(two_class_tree):
    # file values 0, 1, 2 and 255; reduce_zero_label maps them to 255, 0, 1 and 255: all valid
    reduced = _two_class_set(two_class_tree, [dict(type='LoadAnnotations', reduce_zero_label=True)],
                             reduce_zero_label=True)
    assert set(np.unique(reduced[1]['gt_semantic_seg'])) == {0, 1, 255}
    imwrite(np.full((8, 8), 3, np.uint8), two_class_tree / 'ann' / 'b.png')
    with pytest.raises(ValueError, match=r"ann/b\.png holds label values \[2\] \(64 pixels\) after "
                                         r"reduce_zero_label \(file values \[3\]\)"):
        reduced[1]
    # a label map from classes=...: 'vessel' only, so file value 1 -> 0 and 0 -> ignore; 2 has no class
    subset = _two_class_set(two_class_tree, [dict(type='LoadAnnotations')], classes=['vessel'])
    assert set(np.unique(subset[0]['gt_semantic_seg'])) == {0, 255}
    with pytest.raises(ValueError, match=r"holds label values \[3\].*0\.\.0 or ignore_index 255"):
        subset[1]
