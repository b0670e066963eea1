"""The field of view (FOV) of fundus photographs: load its mask, and rescale images to a common FOV size.

Retinal sets differ up to 6x in resolution (DRIVE 565 px wide, HRF 3504), so a model trained on one meets
vessels of other widths on another. ``FOVRescale`` resizes each image so that its FOV, the bright disc of
the retina, is ``diameter`` pixels across (DRIVE's is about 540): vessels then have similar widths in
pixels whatever the camera. Test-time predictions return to the original size as after any test-time
resize (the segmentor restores ``ori_shape``), so metrics and FOV masks stay at the original size.
"""
import math
import os.path as osp
from numbers import Real
from typing import Optional, Tuple

import numpy as np

from mmcv.image import INTERPOLATIONS, imresize

from ..builder import PIPELINES
from .deferred import DefersResize, defer_resize
from .loading import read_cached

#: results key (and seg field) of the FOV mask: uint8, 1 inside
FOV_KEY = 'gt_fov_mask'


@PIPELINES.register_module()
class LoadFOVMask:
    """Read the sample's FOV mask (datasets with ``fov_dir``) into ``results['gt_fov_mask']`` (uint8, 1 inside).

    It joins ``seg_fields``, so geometric transforms (resize, crop, flip, rotation) move it with the image.
    """

    def __init__(self, imdecode_backend: str = 'pillow', cache: bool = False):
        self.imdecode_backend = imdecode_backend
        self.cache = cache

    def __call__(self, results: dict) -> dict:
        info, prefix = results.get('img_info', {}), results.get('fov_prefix')
        if 'fov' not in info or prefix is None:
            raise KeyError(f'LoadFOVMask: image {info.get("filename")} has no FOV mask; set fov_dir (and fov_suffix) '
                           'in the dataset config, or drop LoadFOVMask (FOVRescale then estimates the FOV from '
                           'the image)')
        mask = read_cached(osp.join(prefix, info['fov']), 'unchanged', self.imdecode_backend, self.cache)
        results[FOV_KEY] = (mask.max(axis=2) if mask.ndim == 3 else mask).astype(bool).astype(np.uint8)
        results.setdefault('seg_fields', []).append(FOV_KEY)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(imdecode_backend={self.imdecode_backend!r}, cache={self.cache})'


def estimate_fov_mask(img: np.ndarray, threshold: float = 20) -> np.ndarray:
    """FOV of a fundus photograph: pixels whose brightest channel exceeds ``threshold`` (the border is dark)."""
    brightest = img.max(axis=2) if img.ndim == 3 else img
    return (brightest > threshold).astype(np.uint8)


def fov_diameter(mask: np.ndarray) -> float:
    """Diameter in pixels of the FOV in ``mask``: the most inside pixels of one row or one column.

    On a disc that is the row (column) through its centre, even when the disc is cut at the top and
    bottom (many cameras) or at the sides; isolated noise pixels outside add at most a pixel or two.
    """
    inside = mask > 0
    if not inside.any():
        return 0.0
    return float(max(inside.sum(axis=0).max(), inside.sum(axis=1).max()))


@PIPELINES.register_module()
class FOVRescale(DefersResize):
    """Rescale the image and its seg fields so that the FOV is ``diameter`` pixels across.

    The FOV is measured on the FOV mask when the sample has one loaded (``LoadFOVMask`` before this),
    else on :func:`estimate_fov_mask` of the image (``threshold`` on its brightest channel, uint8 scale).
    ``ori_shape`` is kept, so test-time predictions are restored to the original size; ``img_shape``,
    ``pad_shape`` and ``scale_factor`` follow the new size, and ``fov_diameter``/``fov_scale`` record the
    measurement. Put it before ``MultiScaleFlipAug`` at test time (with ``img_scale=None, img_ratios=[1.0]``
    there, so that the inner ``Resize`` keeps the size) and before ``Resize``/``RandomCrop`` in training
    (followed by ``RandomCrop`` its resize is deferred to the crop window).

    ``max_scale`` caps the upscale: a FOV measured much smaller than ``diameter`` (a near-black image
    whose only bright pixels are a speck) is an error naming the image, not a giant resize. The default 8
    covers small photographs (an 80 px wide FOV brought to DRIVE's 540 needs 6.75x).
    """

    def __init__(self, diameter: float = 540, threshold: float = 20, interpolation: str = 'bilinear',
                 max_scale: float = 8.0):
        if not _is_finite_number(diameter) or diameter <= 0:
            raise ValueError(f'FOVRescale: diameter must be a finite positive number of pixels, got {diameter!r}')
        if not _is_finite_number(threshold) or not 0 <= threshold < 255:
            raise ValueError(f'FOVRescale: threshold must be a number in [0, 255) (the brightest channel of a '
                             f'uint8 image), got {threshold!r}')
        if not _is_finite_number(max_scale) or max_scale <= 0:
            raise ValueError(f'FOVRescale: max_scale must be a finite positive number, got {max_scale!r}')
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f'FOVRescale: interpolation must be one of {sorted(INTERPOLATIONS)}, '
                             f'got {interpolation!r}')
        self.diameter = diameter
        self.threshold = threshold
        self.interpolation = interpolation
        self.max_scale = max_scale

    def measure(self, results: dict) -> float:
        """The FOV diameter (pixels) of the sample as it is now."""
        mask: Optional[np.ndarray] = results.get(FOV_KEY)
        if mask is None:
            mask = estimate_fov_mask(results['img'], self.threshold)
        found = fov_diameter(mask)
        if found < 2:
            how = 'its FOV mask is empty' if FOV_KEY in results else \
                f'no pixel is brighter than threshold={self.threshold}'
            raise ValueError(f'FOVRescale: no field of view in image {results.get("filename")}: {how}')
        return found

    def _plan(self, results: dict) -> Tuple[int, int]:
        found = self.measure(results)
        scale = self.diameter / found
        h, w = results['img'].shape[:2]
        size = (max(1, int(w * scale + 0.5)), max(1, int(h * scale + 0.5)))
        if scale > self.max_scale:
            how = ('measured on its FOV mask' if FOV_KEY in results else
                   f'no FOV mask: pixels brighter than threshold={self.threshold}')
            raise ValueError(
                f'FOVRescale: image {results.get("filename")}: its field of view measures {found:g} px across '
                f'({how}); reaching diameter={self.diameter:g} needs a {scale:g}x upscale ({size[0]}x{size[1]} px), '
                f'above max_scale={self.max_scale:g}. Check the image (and threshold), or raise max_scale')
        w_scale, h_scale = size[0] / w, size[1] / h
        results['scale_factor'] = np.asarray(results.get('scale_factor', 1.0), dtype=np.float32) * np.array(
            [w_scale, h_scale, w_scale, h_scale], dtype=np.float32)
        results['img_shape'] = (size[1], size[0]) + results['img'].shape[2:]
        results['pad_shape'] = results['img_shape']
        results['fov_diameter'] = found
        results['fov_scale'] = scale
        return size

    def __call__(self, results: dict) -> dict:
        size = self._plan(results)
        results['img'] = imresize(results['img'], size, interpolation=self.interpolation)
        for key in results.get('seg_fields', []):
            results[key] = imresize(results[key], size, interpolation='nearest')
        return results

    def defer(self, results: dict) -> dict:
        """Like ``__call__`` but only record the resize; the next transform (RandomCrop) crops from the source."""
        defer_resize(results, self._plan(results), self.interpolation, type(self).__name__)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(diameter={self.diameter}, threshold={self.threshold}, '
                f'interpolation={self.interpolation!r}, max_scale={self.max_scale})')


def _is_finite_number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
