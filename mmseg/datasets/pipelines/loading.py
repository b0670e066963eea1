"""Load images and label maps into the results dict, optionally keeping decoded files in memory."""
import os.path as osp
from typing import Dict, Optional, Tuple

import numpy as np

from mmcv.image import imread

from ..builder import PIPELINES

# Decoded files of this process (each loader worker has its own), keyed by (path, flag, backend).
_DECODED: Dict[Tuple[str, str, str], np.ndarray] = {}


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
    """

    def __init__(self, reduce_zero_label: bool = False, imdecode_backend: str = 'pillow', cache: bool = False):
        self.reduce_zero_label = reduce_zero_label
        self.imdecode_backend = imdecode_backend
        self.cache = cache

    def __call__(self, results: dict) -> dict:
        filename = _join(results.get('seg_prefix'), results['ann_info']['seg_map'])
        seg = read_cached(filename, 'unchanged', self.imdecode_backend, self.cache)
        if seg.ndim == 3:
            raise ValueError(f'label map {filename} has {seg.shape[2]} channels; expected one channel of class ids')
        gt = seg.astype(np.uint8, copy=False)
        label_map = results.get('label_map')
        if label_map:
            gt = apply_label_map(gt, label_map)
        if self.reduce_zero_label:
            gt = reduce_zero_label(gt)
        results['gt_semantic_seg'] = gt
        results.setdefault('seg_fields', []).append('gt_semantic_seg')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(reduce_zero_label={self.reduce_zero_label}, '
                f'imdecode_backend={self.imdecode_backend!r}, cache={self.cache})')


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
