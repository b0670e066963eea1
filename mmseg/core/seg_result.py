"""The one result type from segmentor to evaluation: a label map, optionally its probabilities and FOV mask."""
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from mmcv.npz_tree import register_record


@register_record('mmseg.SegResult')
@dataclass(frozen=True, eq=False)
class SegResult:
    """One image's prediction, as the segmentor returns it and ``dataset.evaluate``/``pre_eval``, the test loops,
    the tools and results files (:mod:`mmcv.npz_tree`, read back as this class) take it.

    Args:
        label_map: [H, W] class ids.
        prob: [H, W] P(class 1) (the vessel probability), or None; the FOV AUC needs it.
        fov: [H, W] field-of-view mask (non-zero = inside) to score the prediction in, or None for the
            dataset's own masks (``fov_dir``), if any.
    """
    label_map: np.ndarray
    prob: Optional[np.ndarray] = None
    fov: Optional[np.ndarray] = None

    def __post_init__(self) -> None:
        if not isinstance(self.label_map, np.ndarray) or self.label_map.ndim != 2:
            raise TypeError(f'SegResult.label_map must be a 2-D numpy array, got {_describe(self.label_map)}')
        for name in ('prob', 'fov'):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, np.ndarray) or value.shape != self.label_map.shape):
                raise ValueError(f'SegResult.{name} must be None or an array of the label map\'s shape '
                                 f'{self.label_map.shape}, got {_describe(value)}')


def _describe(value: Any) -> str:
    shape = getattr(value, 'shape', None)
    return f'{type(value).__name__} of shape {shape}' if shape is not None else type(value).__name__


def as_seg_result(pred: Any, where: str = 'a prediction') -> SegResult:
    """``pred`` as a :class:`SegResult`: itself, or a plain 2-D label map (mmseg 0.x's predictions and the files of
    ``tools/test.py --out``) as one without probabilities. TypeError naming ``where`` for anything else."""
    if isinstance(pred, SegResult):
        return pred
    if isinstance(pred, np.ndarray) and pred.ndim == 2:
        return SegResult(label_map=pred)
    hint = (" (a dict of 'pred' and 'prob' from an older version: SegResult(label_map=d['pred'], prob=d['prob']))"
            if isinstance(pred, dict) else '')
    raise TypeError(f'{where} is {_describe(pred)}; expected a 2-D label map (numpy array) or a SegResult{hint}')
