"""Pixel-value transforms used for retinal images, with mmsegmentation 0.x's names and arguments.

They change ``results['img']`` only (label maps and FOV masks are untouched) and return new arrays, so
images cached by the loaders stay intact.
"""
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from ..builder import PIPELINES

Number = Union[int, float]


def _as_uint8(img: np.ndarray) -> np.ndarray:
    """``img`` as uint8 (values cast as mmseg does: ``np.array(img, dtype=np.uint8)``)."""
    return img if img.dtype == np.uint8 else np.array(img, dtype=np.uint8)


def _check_number(name: str, value, positive: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (positive and value <= 0):
        raise ValueError(f'{name} must be a {"positive " if positive else ""}number, got {value!r}')


@PIPELINES.register_module()
class CLAHE:
    """Contrast Limited Adaptive Histogram Equalisation (Zuiderveld, Graphics Gems IV, 1994) of each channel.

    As in mmsegmentation each channel of the (uint8) image is equalised on its own with OpenCV's CLAHE;
    the image keeps its dtype. ``tile_grid_size`` is (rows, cols) of the tiles.
    """

    def __init__(self, clip_limit: Number = 40.0, tile_grid_size: Tuple[int, int] = (8, 8)):
        _check_number('CLAHE: clip_limit', clip_limit, positive=True)
        if len(tile_grid_size) != 2 or not all(isinstance(v, int) and v > 0 for v in tile_grid_size):
            raise ValueError(f'CLAHE: tile_grid_size must be (rows, cols) of positive ints, got {tile_grid_size!r}')
        self.clip_limit = clip_limit
        self.tile_grid_size = tuple(tile_grid_size)

    def __call__(self, results: dict) -> dict:
        img = results['img']
        clahe = cv2.createCLAHE(clipLimit=float(self.clip_limit), tileGridSize=self.tile_grid_size)
        planes = img[..., None] if img.ndim == 2 else img
        out = np.stack([clahe.apply(np.ascontiguousarray(_as_uint8(planes[..., c])))
                        for c in range(planes.shape[2])], axis=2)
        results['img'] = out.reshape(img.shape).astype(img.dtype, copy=False)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(clip_limit={self.clip_limit}, tile_grid_size={self.tile_grid_size})'


@PIPELINES.register_module()
class AdjustGamma:
    """Gamma correction through a lookup table: ``out = floor(255 * (img / 255) ** (1 / gamma))`` (uint8)."""

    def __init__(self, gamma: Number = 1.0):
        _check_number('AdjustGamma: gamma', gamma, positive=True)
        self.gamma = gamma
        self.table = ((np.arange(256) / 255.0) ** (1.0 / gamma) * 255).astype(np.uint8)

    def __call__(self, results: dict) -> dict:
        results['img'] = cv2.LUT(_as_uint8(results['img']), self.table)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(gamma={self.gamma})'


@PIPELINES.register_module()
class Rerange:
    """Map the image's own [min, max] linearly onto [``min_value``, ``max_value``] (float32)."""

    def __init__(self, min_value: Number = 0, max_value: Number = 255):
        _check_number('Rerange: min_value', min_value)
        _check_number('Rerange: max_value', max_value)
        if not min_value < max_value:
            raise ValueError(f'Rerange: min_value must be below max_value, got {min_value} and {max_value}')
        self.min_value = min_value
        self.max_value = max_value

    def __call__(self, results: dict) -> dict:
        img = results['img'].astype(np.float32)
        low, high = float(img.min()), float(img.max())
        if not low < high:
            raise ValueError(f'Rerange: image {results.get("filename")} is constant ({low}); nothing to rerange')
        results['img'] = (img - low) * ((self.max_value - self.min_value) / (high - low)) + self.min_value
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(min_value={self.min_value}, max_value={self.max_value})'


@PIPELINES.register_module()
class RGB2Gray:
    """Weighted sum of the channels, repeated ``out_channels`` times (default: as many as the input has).

    As in mmsegmentation the weights apply to the channels in the image's order (BGR after loading with
    cv2), so pass ``weights=(0.114, 0.587, 0.299)`` for luma of a BGR image. The result is float32.
    """

    def __init__(self, out_channels: Optional[int] = None, weights: Sequence[Number] = (0.299, 0.587, 0.114)):
        if out_channels is not None and (not isinstance(out_channels, int) or out_channels < 1):
            raise ValueError(f'RGB2Gray: out_channels must be None or a positive int, got {out_channels!r}')
        if not weights or any(isinstance(w, bool) or not isinstance(w, (int, float)) for w in weights):
            raise ValueError(f'RGB2Gray: weights must be a sequence of numbers, got {weights!r}')
        self.out_channels = out_channels
        self.weights = tuple(weights)

    def __call__(self, results: dict) -> dict:
        img = results['img']
        if img.ndim != 3 or img.shape[2] != len(self.weights):
            raise ValueError(f'RGB2Gray: image {results.get("filename")} of shape {img.shape} needs '
                             f'{len(self.weights)} channels, one per weight {self.weights}')
        gray = img.astype(np.float32) @ np.asarray(self.weights, dtype=np.float32)
        results['img'] = np.repeat(gray[..., None], self.out_channels or len(self.weights), axis=2)
        results['img_shape'] = results['img'].shape
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(out_channels={self.out_channels}, weights={self.weights})'
