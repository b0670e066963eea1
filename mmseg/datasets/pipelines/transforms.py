"""Geometric and photometric transforms with mmsegmentation 0.x semantics.

Randomness comes from ``numpy.random`` (seeded per loader worker), in the same order of calls as
mmsegmentation, so a seeded pipeline gives the same samples whether or not a resize is deferred.
"""
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from mmcv.image import bgr2hsv, hsv2bgr, imflip, imnormalize, impad, impad_to_multiple, imresize, rescale_size

from ..builder import PIPELINES
from .deferred import (ConsumesPendingResize, DefersResize, crop_deferred, defer_resize, image_shape, is_deferred,
                       seg_window)

Scale = Tuple[int, int]


def as_scale_list(img_scale) -> Optional[List[Scale]]:
    """None, one (w, h) scale (tuple or list, e.g. after a config round trip) or a list of them -> list or None."""
    if img_scale is None:
        return None
    if len(img_scale) == 2 and all(isinstance(v, (int, float)) for v in img_scale):
        return [tuple(img_scale)]
    return [tuple(s) for s in img_scale]


@PIPELINES.register_module()
class Resize(DefersResize):
    """Resize the image and its label maps to a fixed or random scale.

    ``img_scale`` is one (w, h) scale, a list of them, or None (use the image's own size; needs
    ``ratio_range``). The target scale is, in order of precedence: ``results['scale']`` (set by
    MultiScaleFlipAug); ``img_scale`` times a ratio drawn uniformly from ``ratio_range``; one of
    ``img_scale`` ('value' mode) or edges drawn between two of them ('range' mode). With
    ``keep_ratio`` the image is rescaled to fit the scale as (long edge, short edge) bounds; else it
    is resized to exactly (w, h). Labels use nearest interpolation.
    """

    def __init__(self, img_scale: Union[Scale, List[Scale], None] = None, multiscale_mode: str = 'range',
                 ratio_range: Optional[Tuple[float, float]] = None, keep_ratio: bool = True):
        self.img_scale = as_scale_list(img_scale)
        if multiscale_mode not in ('value', 'range'):
            raise ValueError(f"multiscale_mode must be 'value' or 'range', got {multiscale_mode!r}")
        if ratio_range is not None:
            if self.img_scale is not None and len(self.img_scale) != 1:
                raise ValueError(f'ratio_range needs a single img_scale, got {self.img_scale}')
            if len(ratio_range) != 2 or not 0 < ratio_range[0] <= ratio_range[1]:
                raise ValueError(f'ratio_range must be (min, max) with 0 < min <= max, got {ratio_range}')
        elif multiscale_mode == 'range' and self.img_scale is not None and len(self.img_scale) > 2:
            raise ValueError(f"'range' mode takes one or two img_scale, got {len(self.img_scale)}")
        self.multiscale_mode = multiscale_mode
        self.ratio_range = ratio_range
        self.keep_ratio = keep_ratio

    @staticmethod
    def random_select(img_scales: List[Scale]) -> Tuple[Scale, int]:
        idx = np.random.randint(len(img_scales))
        return img_scales[idx], idx

    @staticmethod
    def random_sample(img_scales: List[Scale]) -> Tuple[Scale, None]:
        long_edges = [max(s) for s in img_scales]
        short_edges = [min(s) for s in img_scales]
        long_edge = np.random.randint(min(long_edges), max(long_edges) + 1)
        short_edge = np.random.randint(min(short_edges), max(short_edges) + 1)
        return (long_edge, short_edge), None

    @staticmethod
    def random_sample_ratio(img_scale: Scale, ratio_range: Tuple[float, float]) -> Tuple[Scale, None]:
        min_ratio, max_ratio = ratio_range
        ratio = np.random.random_sample() * (max_ratio - min_ratio) + min_ratio
        return (int(img_scale[0] * ratio), int(img_scale[1] * ratio)), None

    def _random_scale(self, results: dict) -> None:
        if self.ratio_range is not None:
            if self.img_scale is None:
                h, w = results['img'].shape[:2]
                base = (w, h)
            else:
                base = self.img_scale[0]
            scale, scale_idx = self.random_sample_ratio(base, self.ratio_range)
        elif self.img_scale is None:
            raise KeyError('Resize has no img_scale and results has no "scale"; set img_scale, ratio_range, '
                           'or use Resize inside MultiScaleFlipAug')
        elif len(self.img_scale) == 1:
            scale, scale_idx = self.img_scale[0], 0
        elif self.multiscale_mode == 'range':
            scale, scale_idx = self.random_sample(self.img_scale)
        else:
            scale, scale_idx = self.random_select(self.img_scale)
        results['scale'] = scale
        results['scale_idx'] = scale_idx

    def _plan(self, results: dict) -> Tuple[int, int]:
        """Choose the scale and set the meta keys; return the output size (w, h)."""
        if 'scale' not in results:
            self._random_scale(results)
        h, w = results['img'].shape[:2]
        if self.keep_ratio:
            new_w, new_h = rescale_size((w, h), results['scale'])
        else:
            new_w, new_h = results['scale']
        results['scale_factor'] = np.array([new_w / w, new_h / h, new_w / w, new_h / h], dtype=np.float32)
        results['img_shape'] = (new_h, new_w) + results['img'].shape[2:]
        results['pad_shape'] = results['img_shape']
        results['keep_ratio'] = self.keep_ratio
        return new_w, new_h

    def __call__(self, results: dict) -> dict:
        size = self._plan(results)
        results['img'] = imresize(results['img'], size)
        for key in results.get('seg_fields', []):
            results[key] = imresize(results[key], size, interpolation='nearest')
        return results

    def defer(self, results: dict) -> dict:
        """Like ``__call__`` but only record the resize; the next transform crops from the source."""
        defer_resize(results, self._plan(results), 'bilinear', type(self).__name__)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(img_scale={self.img_scale}, multiscale_mode={self.multiscale_mode!r}, '
                f'ratio_range={self.ratio_range}, keep_ratio={self.keep_ratio})')


@PIPELINES.register_module()
class RandomCrop(ConsumesPendingResize):
    """Crop a random ``crop_size`` (h, w) window (smaller where the image is smaller).

    With ``cat_max_ratio < 1`` up to 10 windows are drawn until no single class (``ignore_index``
    excluded) covers ``cat_max_ratio`` or more of the label window. Reads the window straight
    from the source when the preceding resize was deferred (it consumes a ``PendingResize``).
    """

    def __init__(self, crop_size: Tuple[int, int], cat_max_ratio: float = 1.0, ignore_index: int = 255):
        if len(crop_size) != 2 or min(crop_size) <= 0:
            raise ValueError(f'crop_size must be (h, w) with positive sides, got {crop_size}')
        self.crop_size = tuple(crop_size)
        self.cat_max_ratio = cat_max_ratio
        self.ignore_index = ignore_index

    def get_crop_bbox(self, img_shape: Sequence[int]) -> Tuple[int, int, int, int]:
        """A random window (y1, y2, x1, x2) inside an image of ``img_shape``."""
        h, w = img_shape[:2]
        offset_h = np.random.randint(0, max(h - self.crop_size[0], 0) + 1)
        offset_w = np.random.randint(0, max(w - self.crop_size[1], 0) + 1)
        return offset_h, min(offset_h + self.crop_size[0], h), offset_w, min(offset_w + self.crop_size[1], w)

    def _balanced(self, seg: np.ndarray) -> bool:
        """True when the window has two or more classes and none covers ``cat_max_ratio`` of it."""
        if seg.dtype == np.uint8:
            counts = np.bincount(seg.ravel(), minlength=256)
            if 0 <= self.ignore_index < 256:
                counts[self.ignore_index] = 0
            counts = counts[counts > 0]
        else:
            labels, counts = np.unique(seg, return_counts=True)
            counts = counts[labels != self.ignore_index]
        return len(counts) > 1 and counts.max() / counts.sum() < self.cat_max_ratio

    def __call__(self, results: dict) -> dict:
        img_shape = image_shape(results)
        bbox = self.get_crop_bbox(img_shape)
        if self.cat_max_ratio < 1.0 and 'gt_semantic_seg' in results:
            for _ in range(10):
                if self._balanced(seg_window(results, 'gt_semantic_seg', bbox)):
                    break
                bbox = self.get_crop_bbox(img_shape)
        y1, y2, x1, x2 = bbox
        if is_deferred(results):
            crop_deferred(results, bbox)
        else:
            results['img'] = results['img'][y1:y2, x1:x2]
            for key in results.get('seg_fields', []):
                results[key] = results[key][y1:y2, x1:x2]
        results['img_shape'] = results['img'].shape
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, cat_max_ratio={self.cat_max_ratio}, '
                f'ignore_index={self.ignore_index})')


@PIPELINES.register_module()
class RandomFlip:
    """Flip the image and label maps with probability ``prob`` in ``direction``.

    ``results['flip']`` / ``results['flip_direction']``, when already set (MultiScaleFlipAug), win.
    """
    _DIRECTIONS = ('horizontal', 'vertical', 'diagonal')

    def __init__(self, prob: Optional[float] = None, direction: str = 'horizontal'):
        if prob is not None and not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        if direction not in self._DIRECTIONS:
            raise ValueError(f'direction must be one of {self._DIRECTIONS}, got {direction!r}')
        self.prob = prob
        self.direction = direction

    def __call__(self, results: dict) -> dict:
        if 'flip' not in results:
            results['flip'] = self.prob is not None and np.random.rand() < self.prob
        if 'flip_direction' not in results:
            results['flip_direction'] = self.direction
        if results['flip']:
            direction = results['flip_direction']
            results['img'] = imflip(results['img'], direction)
            for key in results.get('seg_fields', []):
                results[key] = imflip(results[key], direction)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob}, direction={self.direction!r})'


@PIPELINES.register_module()
class RandomRotate90:
    """Rotate the image and label maps by a random multiple of 90 degrees (exact: no interpolation, no padding).

    With probability ``prob`` the rotation is 90, 180 or 270 degrees counter-clockwise, drawn uniformly; the
    default 0.75 makes all four angles equally likely. After a horizontal ``RandomFlip`` it covers the eight
    symmetries of the square, which suit retinal vessels (they run in every direction). A non-square image
    swaps height and width at 90/270, so put it after ``RandomCrop`` where crops are square.
    """

    def __init__(self, prob: float = 0.75):
        if not 0 <= prob <= 1:
            raise ValueError(f'RandomRotate90: prob must be in [0, 1], got {prob}')
        self.prob = prob

    def __call__(self, results: dict) -> dict:
        k = int(np.random.randint(1, 4)) if np.random.rand() < self.prob else 0
        results['rotate90'] = k
        if k:
            results['img'] = np.ascontiguousarray(np.rot90(results['img'], k))
            for key in results.get('seg_fields', []):
                results[key] = np.ascontiguousarray(np.rot90(results[key], k))
            results['img_shape'] = results['img'].shape
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob})'


@PIPELINES.register_module()
class PhotoMetricDistortion:
    """Random brightness, contrast (before or after the colour changes), saturation and hue.

    Each change is applied with probability 0.5, as in mmsegmentation; the image stays uint8.
    """

    def __init__(self, brightness_delta: int = 32, contrast_range: Tuple[float, float] = (0.5, 1.5),
                 saturation_range: Tuple[float, float] = (0.5, 1.5), hue_delta: int = 18):
        self.brightness_delta = brightness_delta
        self.contrast_lower, self.contrast_upper = contrast_range
        self.saturation_lower, self.saturation_upper = saturation_range
        self.hue_delta = hue_delta

    @staticmethod
    def convert(img: np.ndarray, alpha: float = 1, beta: float = 0) -> np.ndarray:
        """``clip(img * alpha + beta, 0, 255)`` as uint8."""
        out = img.astype(np.float32) * alpha + beta
        return np.clip(out, 0, 255).astype(np.uint8)

    def brightness(self, img: np.ndarray) -> np.ndarray:
        if np.random.randint(2):
            return self.convert(img, beta=np.random.uniform(-self.brightness_delta, self.brightness_delta))
        return img

    def contrast(self, img: np.ndarray) -> np.ndarray:
        if np.random.randint(2):
            return self.convert(img, alpha=np.random.uniform(self.contrast_lower, self.contrast_upper))
        return img

    def saturation(self, img: np.ndarray) -> np.ndarray:
        if np.random.randint(2):
            hsv = bgr2hsv(img)
            hsv[:, :, 1] = self.convert(hsv[:, :, 1],
                                        alpha=np.random.uniform(self.saturation_lower, self.saturation_upper))
            return hsv2bgr(hsv)
        return img

    def hue(self, img: np.ndarray) -> np.ndarray:
        if np.random.randint(2):
            hsv = bgr2hsv(img)
            shift = np.random.randint(-self.hue_delta, self.hue_delta)
            hsv[:, :, 0] = (hsv[:, :, 0].astype(int) + shift) % 180
            return hsv2bgr(hsv)
        return img

    def __call__(self, results: dict) -> dict:
        img = self.brightness(results['img'])
        contrast_first = np.random.randint(2) == 1
        if contrast_first:
            img = self.contrast(img)
        img = self.hue(self.saturation(img))
        if not contrast_first:
            img = self.contrast(img)
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(brightness_delta={self.brightness_delta}, '
                f'contrast_range=({self.contrast_lower}, {self.contrast_upper}), '
                f'saturation_range=({self.saturation_lower}, {self.saturation_upper}), hue_delta={self.hue_delta})')


@PIPELINES.register_module()
class Normalize:
    """``(img - mean) / std`` as float32, after BGR -> RGB when ``to_rgb``; records ``img_norm_cfg``."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], to_rgb: bool = True):
        self.mean = np.array(mean, dtype=np.float32)
        self.std = np.array(std, dtype=np.float32)
        self.to_rgb = to_rgb

    def __call__(self, results: dict) -> dict:
        results['img'] = imnormalize(results['img'], self.mean, self.std, self.to_rgb)
        results['img_norm_cfg'] = dict(mean=self.mean, std=self.std, to_rgb=self.to_rgb)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(mean={self.mean.tolist()}, std={self.std.tolist()}, to_rgb={self.to_rgb})'


@PIPELINES.register_module()
class Pad:
    """Pad at the bottom/right to ``size`` (h, w) or to multiples of ``size_divisor``.

    The image is padded with ``pad_val``, label maps with ``seg_pad_val`` (255: ignored by losses
    and metrics).
    """

    def __init__(self, size: Optional[Tuple[int, int]] = None, size_divisor: Optional[int] = None,
                 pad_val: float = 0, seg_pad_val: int = 255):
        if (size is None) == (size_divisor is None):
            raise ValueError(f'Pad needs exactly one of size or size_divisor, got size={size}, '
                             f'size_divisor={size_divisor}')
        self.size = size
        self.size_divisor = size_divisor
        self.pad_val = pad_val
        self.seg_pad_val = seg_pad_val

    def _pad(self, img: np.ndarray, pad_val: float) -> np.ndarray:
        if self.size is not None:
            return impad(img, shape=self.size, pad_val=pad_val)
        return impad_to_multiple(img, self.size_divisor, pad_val=pad_val)

    def __call__(self, results: dict) -> dict:
        results['img'] = self._pad(results['img'], self.pad_val)
        for key in results.get('seg_fields', []):
            results[key] = self._pad(results[key], self.seg_pad_val)
        results['pad_shape'] = results['img'].shape
        results['pad_fixed_size'] = self.size
        results['pad_size_divisor'] = self.size_divisor
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(size={self.size}, size_divisor={self.size_divisor}, '
                f'pad_val={self.pad_val}, seg_pad_val={self.seg_pad_val})')
