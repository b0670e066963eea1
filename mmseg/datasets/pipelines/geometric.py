"""Rotation and label rescaling with mmsegmentation 0.x's names, arguments and random draws.

They run after any resize is carried out (they are not ``ConsumesPendingResize``, so ``Compose``
never hands them a pending one) and move every seg field with the image: label maps are padded with
``seg_pad_val`` (ignored), the FOV mask (``gt_fov_mask``) with 0 (outside).
"""
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from mmcv.image import INTERPOLATIONS, imrescale

from ..builder import PIPELINES
from .fov import FOV_KEY

Number = Union[int, float]


def rotation_matrix(shape: Tuple[int, int], angle: float, center: Optional[Tuple[float, float]] = None,
                    auto_bound: bool = False) -> Tuple[np.ndarray, Tuple[int, int]]:
    """Affine matrix (source -> output) turning an image of ``shape`` (h, w) by ``angle`` degrees clockwise
    about ``center`` (x, y; default the image centre), and the output size (w, h): the input's, or with
    ``auto_bound`` (only with ``center=None``) the size that holds the whole turned image, as mmcv's ``imrotate``."""
    h, w = shape
    center = ((w - 1) * 0.5, (h - 1) * 0.5) if center is None else tuple(center)
    matrix = cv2.getRotationMatrix2D(center, -angle, 1.0)
    if not auto_bound:
        return matrix, (w, h)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = w * cos + h * sin, h * cos + w * sin
    matrix[0, 2] += (new_w - w) * 0.5
    matrix[1, 2] += (new_h - h) * 0.5
    return matrix, (int(np.round(new_w)), int(np.round(new_h)))


def warp(img: np.ndarray, matrix: np.ndarray, size: Tuple[int, int], interpolation: str, pad_val) -> np.ndarray:
    """``img`` through ``matrix`` into an image of ``size`` (w, h), constant ``pad_val`` outside the source."""
    channels = img.shape[2] if img.ndim == 3 else 1
    border = tuple([pad_val] * min(channels, 4)) if isinstance(pad_val, (int, float)) else tuple(pad_val)
    return cv2.warpAffine(img, matrix, size, flags=INTERPOLATIONS[interpolation], borderMode=cv2.BORDER_CONSTANT,
                          borderValue=border)


@PIPELINES.register_module()
class RandomRotate:
    """With probability ``prob`` turn the image and its seg fields by an angle drawn from ``degree``.

    Args:
        prob: probability of a rotation.
        degree: (min, max) in degrees, or a positive number d meaning (-d, d); positive is clockwise.
        pad_val: image value outside the source; seg_pad_val: label value there (255 = ignored).
        center: (x, y) to turn about; default the image centre.
        auto_bound: enlarge the output to hold the whole turned image (needs ``center=None``).
    """

    def __init__(self, prob: float, degree: Union[Number, Sequence[Number]], pad_val: Number = 0,
                 seg_pad_val: Number = 255, center: Optional[Tuple[float, float]] = None, auto_bound: bool = False):
        if not 0 <= prob <= 1:
            raise ValueError(f'RandomRotate: prob must be in [0, 1], got {prob}')
        if isinstance(degree, (int, float)):
            if degree <= 0:
                raise ValueError(f'RandomRotate: degree {degree} must be positive (or a (min, max) range)')
            degree = (-degree, degree)
        if len(degree) != 2:
            raise ValueError(f'RandomRotate: degree must be a number or (min, max), got {degree!r}')
        if center is not None and auto_bound:
            raise ValueError('RandomRotate: auto_bound keeps the whole image, so it needs center=None')
        self.prob = prob
        self.degree = (float(min(degree)), float(max(degree)))
        self.pad_val = pad_val
        self.seg_pad_val = seg_pad_val
        self.center = None if center is None else tuple(center)
        self.auto_bound = auto_bound

    def __call__(self, results: dict) -> dict:
        rotate = np.random.rand() < self.prob
        angle = np.random.uniform(*self.degree)
        results['rotate_degree'] = float(angle) if rotate else 0.0
        if not rotate:
            return results
        matrix, size = rotation_matrix(results['img'].shape[:2], angle, self.center, self.auto_bound)
        results['img'] = warp(results['img'], matrix, size, 'bilinear', self.pad_val)
        for key in results.get('seg_fields', []):
            pad = 0 if key == FOV_KEY else self.seg_pad_val
            results[key] = warp(results[key], matrix, size, 'nearest', pad)
        results['img_shape'] = results['img'].shape
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, degree={self.degree}, pad_val={self.pad_val}, '
                f'seg_pad_val={self.seg_pad_val}, center={self.center}, auto_bound={self.auto_bound})')


@PIPELINES.register_module()
class SegRescale:
    """Rescale the seg fields (not the image) by ``scale_factor``, nearest neighbour: labels for a head
    that predicts at a fraction of the input size."""

    def __init__(self, scale_factor: Number = 1):
        if isinstance(scale_factor, bool) or not isinstance(scale_factor, (int, float)) or scale_factor <= 0:
            raise ValueError(f'SegRescale: scale_factor must be a positive number, got {scale_factor!r}')
        self.scale_factor = scale_factor

    def __call__(self, results: dict) -> dict:
        if self.scale_factor != 1:
            for key in results.get('seg_fields', []):
                results[key] = imrescale(results[key], self.scale_factor, interpolation='nearest')
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(scale_factor={self.scale_factor})'
