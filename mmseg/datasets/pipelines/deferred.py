"""Deferred resizing: a resize that is only carried out on the window a later crop keeps.

Training pipelines resize the whole image and then crop a small window (DRIVE: 565x584 resized by
0.5-2x, then a 64x64 crop). A resize is a fixed map from output to input coordinates, so the crop
can be read straight from the source image instead: bilinear for the image (OpenCV's warpAffine
with the same pixel-centre mapping as ``cv2.resize``, equal up to rounding), and nearest for the
label maps (the same integer index map as ``cv2.resize``, so labels are identical).

``Compose`` asks a transform with a ``defer`` method to record its resize when the next transform
has ``accepts_deferred_resize = True``; that transform must then call :func:`crop_deferred`.
"""
from typing import Dict, Tuple

import cv2
import numpy as np

from mmcv.image import INTERPOLATIONS

KEY = 'deferred_resize'


def defer_resize(results: dict, size: Tuple[int, int], interpolation: str = 'bilinear') -> None:
    """Record that ``results['img']`` and its seg fields are to be resized to ``size`` (w, h)."""
    results[KEY] = dict(size=(int(size[0]), int(size[1])), interpolation=interpolation)


def is_deferred(results: dict) -> bool:
    return KEY in results


def _nearest_index(dst_len: int, src_len: int, start: int, stop: int) -> np.ndarray:
    """Source indices that ``cv2.resize(..., INTER_NEAREST)`` reads for outputs start..stop-1."""
    inv_scale = 1.0 / (dst_len / src_len)
    return np.minimum(np.floor(np.arange(start, stop) * inv_scale).astype(np.int64), src_len - 1)


def _window_affine(src_shape: Tuple[int, int], size: Tuple[int, int], x1: int, y1: int) -> np.ndarray:
    """Affine map from output-window pixels to source pixels (pixel centres aligned as cv2.resize)."""
    sx = src_shape[1] / size[0]
    sy = src_shape[0] / size[1]
    return np.array([[sx, 0.0, (x1 + 0.5) * sx - 0.5], [0.0, sy, (y1 + 0.5) * sy - 0.5]])


def resized_window(img: np.ndarray, size: Tuple[int, int], bbox: Tuple[int, int, int, int],
                   interpolation: str) -> np.ndarray:
    """Window ``bbox`` = (y1, y2, x1, x2) of ``imresize(img, size, interpolation)``, computed directly."""
    y1, y2, x1, x2 = bbox
    h, w = img.shape[:2]
    if interpolation == 'nearest':
        rows = _nearest_index(size[1], h, y1, y2)
        cols = _nearest_index(size[0], w, x1, x2)
        return img.take(rows, axis=0).take(cols, axis=1)
    matrix = _window_affine((h, w), size, x1, y1)
    return cv2.warpAffine(img, matrix, (x2 - x1, y2 - y1), flags=INTERPOLATIONS[interpolation] | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)


def crop_deferred(results: dict, bbox: Tuple[int, int, int, int]) -> None:
    """Replace the image and seg fields by window ``bbox`` of their pending resize; clear the record."""
    pending: Dict = results.pop(KEY)
    size, interpolation = pending['size'], pending['interpolation']
    results['img'] = resized_window(results['img'], size, bbox, interpolation)
    for key in results.get('seg_fields', []):
        results[key] = resized_window(results[key], size, bbox, 'nearest')


def seg_window(results: dict, key: str, bbox: Tuple[int, int, int, int]) -> np.ndarray:
    """Window ``bbox`` of seg field ``key`` as it will be after the pending resize (if any)."""
    if not is_deferred(results):
        y1, y2, x1, x2 = bbox
        return results[key][y1:y2, x1:x2]
    return resized_window(results[key], results[KEY]['size'], bbox, 'nearest')
