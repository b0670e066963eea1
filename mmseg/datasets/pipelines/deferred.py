"""Deferred resizing: a resize that is only carried out on the window a later crop keeps.

Training pipelines resize the whole image and then crop a small window (DRIVE: 565x584 resized by
0.5-2x, then a 64x64 crop). A resize is a fixed map from output to input coordinates, so the crop
can be read straight from the source image instead: bilinear for the image (OpenCV's warpAffine
with the same pixel-centre mapping as ``cv2.resize``, equal up to rounding), and nearest for the
label maps (the same integer index map as ``cv2.resize``, so labels are identical).

The protocol, run and checked by ``Compose``:

1. A transform that can postpone its resize subclasses :class:`DefersResize`; one that can carry out
   a postponed resize subclasses :class:`ConsumesPendingResize`. ``Compose`` calls ``defer`` instead
   of ``__call__`` only when the very next transform is a consumer (and ``allow_deferred`` is on).
2. ``defer`` sets the meta keys as the resize would (``img_shape``, ``pad_shape``, ``scale_factor``:
   the *target* shape) and records a :class:`PendingResize` under :data:`KEY` through
   :func:`defer_resize`, the only way to create one. ``img`` and the seg fields keep the *source* size.
3. While a resize is pending nothing may read ``img`` or a seg field as if it were resized: a
   consumer reads the target shape with :func:`image_shape`, windows with :func:`seg_window`, and
   must end by calling :func:`crop_deferred`, which carries the resize out and removes the record.
4. A pending resize that nothing consumes is an error (:class:`PendingResizeError`, naming the
   transform that deferred it and the one reached): ``Compose`` checks before each step and at the end
   of the pipeline that only a consumer meets a pending resize (:func:`require_consumer`), and after
   each step that did not defer that nothing is left pending (:func:`require_consumed`).
"""
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

from mmcv.image import INTERPOLATIONS

#: results key of the :class:`PendingResize` record
KEY = 'deferred_resize'


class PendingResizeError(RuntimeError):
    """A pending resize met a transform (or the end of a pipeline) that does not carry it out."""


@dataclass(frozen=True)
class PendingResize:
    """A resize of ``img`` and its seg fields to ``size`` (w, h), not yet carried out.

    ``source_shape`` is the shape ``img`` had (and must keep) while the resize is pending;
    ``deferred_by`` names the transform that recorded it, for error messages.
    """
    size: Tuple[int, int]
    interpolation: str
    source_shape: Tuple[int, ...]
    deferred_by: str

    @property
    def target_shape(self) -> Tuple[int, ...]:
        """The shape ``img`` will have once resized: (h, w) + channels."""
        return (self.size[1], self.size[0]) + tuple(self.source_shape[2:])


class DefersResize:
    """Base of transforms that can record their resize for the next transform to carry out."""

    def defer(self, results: dict) -> dict:
        """Like ``__call__``, but record the resize with :func:`defer_resize` instead of doing it."""
        raise NotImplementedError


class ConsumesPendingResize:
    """Base of transforms that carry out a pending resize (they must call :func:`crop_deferred`)."""


def defer_resize(results: dict, size: Tuple[int, int], interpolation: str, deferred_by: str) -> None:
    """Record that ``results['img']`` and its seg fields are to be resized to ``size`` (w, h)."""
    if KEY in results:
        raise PendingResizeError(f'{deferred_by} cannot defer a resize: one by {results[KEY].deferred_by} '
                                 f'is still pending')
    results[KEY] = PendingResize(size=(int(size[0]), int(size[1])), interpolation=interpolation,
                                 source_shape=tuple(results['img'].shape), deferred_by=deferred_by)


def pending_resize(results: dict) -> Optional[PendingResize]:
    """The resize pending on ``results``, or None."""
    return results.get(KEY)


def is_deferred(results: dict) -> bool:
    return KEY in results


def image_shape(results: dict) -> Tuple[int, ...]:
    """The shape of ``results['img']`` once any pending resize is carried out."""
    pending = pending_resize(results)
    return pending.target_shape if pending is not None else tuple(results['img'].shape)


def _name(transform) -> str:
    return type(transform).__name__ if transform is not None else 'the end of the pipeline'


def require_consumer(results: dict, reached) -> None:
    """Before ``reached`` runs (None: the pipeline ended), refuse a pending resize it would not carry out.

    Raises :class:`PendingResizeError` when a resize is pending and ``reached`` is not a
    :class:`ConsumesPendingResize`, or when the record is not a :class:`PendingResize` over the
    untouched source image.
    """
    pending = results.get(KEY)
    if pending is None:
        return
    if not isinstance(pending, PendingResize):
        raise PendingResizeError(f'results[{KEY!r}] must be a PendingResize made by defer_resize, got {pending!r}')
    where = (f'{pending.deferred_by} deferred a resize to {pending.size[0]}x{pending.size[1]} and '
             f'{_name(reached)} was reached with it still pending')
    if tuple(results['img'].shape) != pending.source_shape:
        raise PendingResizeError(f'{where}, with img changed under it (shape {tuple(results["img"].shape)}; '
                                 f'the pending resize reads {pending.source_shape})')
    if not isinstance(reached, ConsumesPendingResize):
        raise PendingResizeError(f'{where}: {_name(reached)} does not carry out a pending resize (it is not a '
                                 f'ConsumesPendingResize). Build Compose again after changing its transforms, '
                                 f'or use allow_deferred=False')


def require_consumed(results: dict, step) -> None:
    """After ``step`` ran (a step that did not defer), refuse a resize it left pending."""
    pending = results.get(KEY)
    if pending is not None:
        deferred_by = getattr(pending, 'deferred_by', 'a transform')
        raise PendingResizeError(f'{deferred_by} deferred a resize and {_name(step)} left it pending: a '
                                 f'ConsumesPendingResize must carry it out with crop_deferred')


def _nearest_index(dst_len: int, src_len: int, start: int, stop: int) -> np.ndarray:
    """Source indices that ``cv2.resize(..., INTER_NEAREST)`` reads for outputs start..stop-1."""
    inv_scale = 1.0 / (dst_len / src_len)
    return np.minimum(np.floor(np.arange(start, stop) * inv_scale).astype(np.int64), src_len - 1)


def _window_affine(src_shape: Tuple[int, int], size: Tuple[int, int], x1: int, y1: int) -> np.ndarray:
    """Affine map from output-window pixels to source pixels (pixel centres aligned as cv2.resize)."""
    sx = src_shape[1] / size[0]
    sy = src_shape[0] / size[1]
    return np.array([[sx, 0.0, (x1 + 0.5) * sx - 0.5], [0.0, sy, (y1 + 0.5) * sy - 0.5]])


def resized_window(img: np.ndarray, size: Tuple[int, int], bbox: Sequence[int], interpolation: str) -> np.ndarray:
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


def crop_deferred(results: dict, bbox: Sequence[int]) -> None:
    """Replace the image and seg fields by window ``bbox`` of their pending resize; clear the record."""
    pending: PendingResize = results.pop(KEY)
    results['img'] = resized_window(results['img'], pending.size, bbox, pending.interpolation)
    for key in results.get('seg_fields', []):
        results[key] = resized_window(results[key], pending.size, bbox, 'nearest')


def seg_window(results: dict, key: str, bbox: Sequence[int]) -> np.ndarray:
    """Window ``bbox`` of seg field ``key`` as it will be after the pending resize (if any)."""
    pending = pending_resize(results)
    if pending is None:
        y1, y2, x1, x2 = bbox
        return results[key][y1:y2, x1:x2]
    return resized_window(results[key], pending.size, bbox, 'nearest')
