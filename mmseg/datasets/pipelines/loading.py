"""Load images and label maps into the results dict, optionally keeping decoded files in memory.

Images are 8 bits ('color'/'grayscale' read a 16-bit file as its high byte); label maps are class ids
0..255, checked against the dataset's classes when the dataset gives them (:class:`LabelSpec`).
"""
import os.path as osp
from typing import Dict, NamedTuple, Optional, Tuple

import cv2
import numpy as np

from mmcv.image import imread

from ..builder import PIPELINES

# Decoded files of this process (each loader worker has its own), keyed by (path, flag, backend).
_DECODED: Dict[Tuple[str, str, str], np.ndarray] = {}
# Pixels per value (0..255) of the cached label maps, keyed by (path, backend).
_LABEL_COUNTS: Dict[Tuple[str, str], np.ndarray] = {}
#: results key under which a dataset tells LoadAnnotations which label values are valid
LABEL_SPEC_KEY = 'label_spec'


class LabelSpec(NamedTuple):
    """The label values a dataset's maps may hold (after its label map): 0..len(classes)-1, ignore_index."""
    owner: str
    classes: Tuple[str, ...]
    ignore_index: int


def read_cached(filename: str, flag: str, backend: str, cache: bool) -> np.ndarray:
    """``imread(filename)``; with ``cache`` decode each file once per process.

    Cached arrays are shared and read-only: transforms return new arrays instead of writing in place.
    """
    if not cache:
        return imread(filename, flag=flag, backend=backend)
    key = (filename, flag, backend)
    img = _DECODED.get(key)
    if img is None:
        img = imread(filename, flag=flag, backend=backend)
        img.setflags(write=False)
        _DECODED[key] = img
    return img


def clear_cache() -> None:
    """Forget all decoded files of this process."""
    _DECODED.clear()
    _LABEL_COUNTS.clear()


def _join(prefix: Optional[str], name: str) -> str:
    return osp.join(prefix, name) if prefix is not None else name


def set_image(results: dict, img: np.ndarray, filename: Optional[str], ori_filename: Optional[str]) -> dict:
    """Store ``img`` with the meta keys every later transform expects (shapes, identity scale, norm cfg)."""
    results['filename'] = filename
    results['ori_filename'] = ori_filename
    results['img'] = img
    results['img_shape'] = img.shape
    results['ori_shape'] = img.shape
    results['pad_shape'] = img.shape
    results['scale_factor'] = 1.0
    num_channels = 1 if img.ndim < 3 else img.shape[2]
    results['img_norm_cfg'] = dict(mean=np.zeros(num_channels, dtype=np.float32),
                                   std=np.ones(num_channels, dtype=np.float32), to_rgb=False)
    return results


@PIPELINES.register_module()
class LoadImageFromFile:
    """Read ``img_prefix/img_info['filename']`` into ``results['img']`` (BGR uint8 unless ``to_float32``).

    Args:
        to_float32: convert to float32 after decoding.
        color_type: 'color', 'grayscale' or 'unchanged' (see ``mmcv.imread``).
        imdecode_backend: 'cv2' or 'pillow'.
        cache: decode each file once per process and reuse it (small datasets such as DRIVE).
    """

    def __init__(self, to_float32: bool = False, color_type: str = 'color', imdecode_backend: str = 'cv2',
                 cache: bool = False):
        self.to_float32 = to_float32
        self.color_type = color_type
        self.imdecode_backend = imdecode_backend
        self.cache = cache

    def __call__(self, results: dict) -> dict:
        ori_filename = results['img_info']['filename']
        filename = _join(results.get('img_prefix'), ori_filename)
        img = read_cached(filename, self.color_type, self.imdecode_backend, self.cache)
        if img.dtype != np.uint8:
            raise ValueError(f'image {filename} is {img.dtype} (color_type={self.color_type!r} keeps the depth of '
                             'the file), but the transforms and img_norm_cfg work on 8-bit values; use '
                             "color_type='color' or 'grayscale', which read a 16-bit file as 8 bits (its high byte)")
        if self.to_float32:
            img = img.astype(np.float32)
        return set_image(results, img, filename, ori_filename)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(to_float32={self.to_float32}, color_type={self.color_type!r}, '
                f'imdecode_backend={self.imdecode_backend!r}, cache={self.cache})')


@PIPELINES.register_module()
class LoadImageFromWebcam(LoadImageFromFile):
    """Take an already decoded array from ``results['img']`` (inference on arrays)."""

    def __call__(self, results: dict) -> dict:
        img = results['img']
        if self.to_float32:
            img = img.astype(np.float32)
        return set_image(results, img, None, None)


@PIPELINES.register_module()
class LoadAnnotations:
    """Read the label map ``seg_prefix/ann_info['seg_map']`` into ``results['gt_semantic_seg']`` (uint8).

    ``results['label_map']`` (old -> new ids, set by datasets with a subset of classes) is applied
    first; ``reduce_zero_label`` then maps 0 to 255 (ignored) and shifts the other labels down by one.
    A 16-bit file is read as the same ids when they are 0..255 and refused otherwise. With the
    dataset's :class:`LabelSpec` in the results, a value other than a class id or ``ignore_index``
    (255 too with ``reduce_zero_label``) is an error naming the file, the values and the classes.
    """

    def __init__(self, reduce_zero_label: bool = False, imdecode_backend: str = 'pillow', cache: bool = False):
        self.reduce_zero_label = reduce_zero_label
        self.imdecode_backend = imdecode_backend
        self.cache = cache

    def __call__(self, results: dict) -> dict:
        filename = _join(results.get('seg_prefix'), results['ann_info']['seg_map'])
        gt = label_ids(read_cached(filename, 'unchanged', self.imdecode_backend, self.cache), filename)
        spec: Optional[LabelSpec] = results.get(LABEL_SPEC_KEY)
        if spec is not None:
            self._check(gt, filename, spec, results.get('label_map'))
        gt = self._relabel(gt, results.get('label_map'))
        results['gt_semantic_seg'] = gt
        results.setdefault('seg_fields', []).append('gt_semantic_seg')
        return results

    def _relabel(self, ids: np.ndarray, label_map: Optional[Dict[int, int]]) -> np.ndarray:
        """``ids`` (a label map, or the list of values it holds) with the label map and reduce_zero_label applied."""
        if label_map:
            ids = apply_label_map(ids, label_map)
        return reduce_zero_label(ids) if self.reduce_zero_label else ids

    def _check(self, gt: np.ndarray, filename: str, spec: LabelSpec, label_map: Optional[Dict[int, int]]) -> None:
        """Raise if ``gt`` (file ids) holds a value that is neither a class id nor ignored once relabelled.

        Cheap: a plain map of class ids passes on its maximum; otherwise one histogram per file (kept with
        a cached file) gives the <= 256 values present, and only those are relabelled and checked.
        """
        if not label_map and not self.reduce_zero_label and gt.size and int(gt.max()) < len(spec.classes):
            return
        key = (filename, self.imdecode_backend)
        counts = _LABEL_COUNTS.get(key) if self.cache else None
        if counts is None:
            counts = cv2.calcHist([np.ascontiguousarray(gt)], [0], None, [256], [0, 256]).ravel().astype(np.int64)
            if self.cache:
                _LABEL_COUNTS[key] = counts
        file_values = np.flatnonzero(counts).astype(np.uint8)
        values = self._relabel(file_values, label_map)
        allowed = list(range(len(spec.classes))) + [spec.ignore_index] + ([255] if self.reduce_zero_label else [])
        bad = ~np.isin(values, allowed)
        if not bad.any():
            return
        pixels = int(counts[file_values[bad]].sum())
        steps = [name for name, used in (('the classes= label map', bool(label_map)),
                                         ('reduce_zero_label', self.reduce_zero_label)) if used]
        after = (f' after {" and ".join(steps)} (file values {file_values[bad].tolist()})' if steps else '')
        raise ValueError(
            f'label map {filename} holds label values {np.unique(values[bad]).tolist()} '
            f'({pixels} pixel{"s" if pixels != 1 else ""}){after}: {spec.owner} has {len(spec.classes)} classes '
            f'{tuple(spec.classes)}, so a label must be 0..{len(spec.classes) - 1} or ignore_index '
            f'{spec.ignore_index}; fix the file, or the dataset\'s classes / reduce_zero_label')

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(reduce_zero_label={self.reduce_zero_label}, '
                f'imdecode_backend={self.imdecode_backend!r}, cache={self.cache})')


def label_ids(seg: np.ndarray, filename: str) -> np.ndarray:
    """The class ids of a decoded label map as uint8; a map with no faithful 8-bit form is refused.

    16-bit (or 32-bit) files of ids 0..255 give the same ids; a value outside 0..255 cannot be a class id
    here (a 0/65535 binary mask cast to 8 bits would turn every vessel into 255, the ignore index).
    """
    if seg.ndim == 3:
        raise ValueError(f'label map {filename} has {seg.shape[2]} channels; expected one channel of class ids')
    if seg.dtype == np.uint8:
        return seg
    if not np.issubdtype(seg.dtype, np.integer):
        raise ValueError(f'label map {filename} holds {seg.dtype} values; expected integer class ids 0..255')
    outside = (seg < 0) | (seg > 255)
    if outside.any():
        raise ValueError(
            f'label map {filename} is a {seg.dtype.itemsize * 8}-bit image with values '
            f'{np.unique(seg[outside])[:10].tolist()} outside 0..255 (values present: '
            f'{np.unique(seg)[:10].tolist()}); label maps hold class ids 0..255 (e.g. 0 background, 1 vessel, '
            '255 ignored). A 0/65535 file is a binary mask saved with 16 bits: write it as 8-bit class ids (0/1)')
    return seg.astype(np.uint8)


def apply_label_map(gt: np.ndarray, label_map: Dict[int, int]) -> np.ndarray:
    """A copy of ``gt`` with every old id replaced by its new id (all at once, no chaining)."""
    out = gt.copy()
    for old_id, new_id in label_map.items():
        out[gt == old_id] = new_id
    return out


def reduce_zero_label(gt: np.ndarray) -> np.ndarray:
    """Label 0 becomes 255 (ignored), labels 1..254 become 0..253; 255 stays 255. Returns a copy."""
    out = gt.astype(np.int16) - 1
    out[(gt == 0) | (gt == 255)] = 255
    return out.astype(np.uint8)
