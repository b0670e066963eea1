"""Segmentation metrics from confusion matrices: aAcc and per-class IoU, Dice, Acc, Precision, Recall, F-score.

Each image contributes one ``num_classes x num_classes`` confusion matrix (rows: ground truth,
columns: prediction), so evaluating a test set keeps one small matrix per image, never the maps.
Function names and signatures follow mmsegmentation 0.x.
"""
import difflib
import math
from collections import OrderedDict
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from mmcv.image import imread

METRICS = ('mIoU', 'mDice', 'mFscore')
# keyword -> (the metric it changes, what it does): the options dataset.evaluate (--eval-options) takes
EVAL_OPTIONS = {'beta': ('mFscore', 'weight of recall in the F-score, F_beta = (1 + beta^2) PR / (beta^2 P + R); '
                         'default 1 (F1)')}
LabelSource = Union[np.ndarray, str]


def _as_pred(pred_label: LabelSource) -> np.ndarray:
    return np.load(pred_label, allow_pickle=False) if isinstance(pred_label, str) else np.asarray(pred_label)


def _as_label(label: LabelSource) -> np.ndarray:
    return imread(label, flag='unchanged', backend='pillow') if isinstance(label, str) else np.asarray(label)


def prepare_label(label: np.ndarray, label_map: Optional[Dict[int, int]] = None,
                  reduce_zero_label: bool = False) -> np.ndarray:
    """Apply ``label_map`` (old -> new ids, all at once), then ``reduce_zero_label`` (0 -> 255, others - 1)."""
    out = label.astype(np.int64)
    if label_map:
        mapped = out.copy()
        for old_id, new_id in label_map.items():
            mapped[out == old_id] = new_id
        out = mapped
    if reduce_zero_label:
        out = np.where((out == 0) | (out == 255), 255, out - 1)
    return out


def confusion_matrix(pred_label: LabelSource, label: LabelSource, num_classes: int, ignore_index: int,
                     label_map: Optional[Dict[int, int]] = None, reduce_zero_label: bool = False) -> np.ndarray:
    """Pixel counts ``[gt, pred]`` over the pixels whose label is not ``ignore_index``.

    Raises ValueError when the maps differ in shape or hold ids outside ``[0, num_classes)``
    (other than ``ignore_index`` in the label).
    """
    pred = _as_pred(pred_label)
    gt = prepare_label(_as_label(label), label_map, reduce_zero_label)
    if pred.shape != gt.shape:
        raise ValueError(f'prediction of shape {pred.shape} does not match the label map of shape {gt.shape}')
    valid = gt != ignore_index
    gt = gt[valid]
    pred = pred[valid].astype(np.int64)
    for name, values in (('label map', gt), ('prediction', pred)):
        bad = (values < 0) | (values >= num_classes)
        if bad.any():
            raise ValueError(f'{name} holds ids {np.unique(values[bad])[:10].tolist()} outside [0, {num_classes}) '
                             f'that are not ignore_index={ignore_index}')
    counts = np.bincount(gt * num_classes + pred, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def areas_from_confusion(confusion: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(area_intersect, area_union, area_pred_label, area_label) per class."""
    area_intersect = np.diag(confusion).astype(np.float64)
    area_pred_label = confusion.sum(axis=0).astype(np.float64)
    area_label = confusion.sum(axis=1).astype(np.float64)
    return area_intersect, area_pred_label + area_label - area_intersect, area_pred_label, area_label


def intersect_and_union(pred_label: LabelSource, label: LabelSource, num_classes: int, ignore_index: int,
                        label_map: Optional[Dict[int, int]] = None, reduce_zero_label: bool = False):
    """Per-class (area_intersect, area_union, area_pred_label, area_label) of one image."""
    return areas_from_confusion(confusion_matrix(pred_label, label, num_classes, ignore_index, label_map,
                                                 reduce_zero_label))


def total_intersect_and_union(results: Iterable[LabelSource], gt_seg_maps: Iterable[LabelSource], num_classes: int,
                              ignore_index: int, label_map: Optional[Dict[int, int]] = None,
                              reduce_zero_label: bool = False):
    """The four areas summed over images (``results`` and ``gt_seg_maps`` may be generators)."""
    total = np.zeros((num_classes, num_classes), dtype=np.int64)
    for pred, gt in zip(results, gt_seg_maps):
        total += confusion_matrix(pred, gt, num_classes, ignore_index, label_map, reduce_zero_label)
    return areas_from_confusion(total)


def f_score(precision, recall, beta: float = 1):
    """F-beta score from precision and recall."""
    return (1 + beta**2) * (precision * recall) / ((beta**2 * precision) + recall)


def check_eval_options(options: Dict[str, Any], metrics: Sequence[str], metrics_flag: str = 'metric') -> Dict[str, Any]:
    """``options`` of evaluation (``--eval-options``) checked against ``metrics``; returns them with defaults.

    Raises ValueError for an unknown option (naming the accepted ones), a bad value, or an option that
    changes none of ``metrics`` (``metrics_flag`` names where the metrics were given, for the message).
    """
    for key in options:
        if key not in EVAL_OPTIONS:
            close = difflib.get_close_matches(str(key), list(EVAL_OPTIONS), n=1, cutoff=0.5)
            hint = f'; did you mean {close[0]!r}?' if close else ';'
            raise ValueError(f'unknown option {key!r}{hint} (accepted: {", ".join(EVAL_OPTIONS)})')
        metric = EVAL_OPTIONS[key][0]
        if metric not in metrics:
            raise ValueError(f'{key} only changes {metric}; add {metric} to {metrics_flag}')
    beta = options.get('beta', 1)
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not math.isfinite(beta) or beta <= 0:
        raise ValueError(f'beta must be a finite number > 0, got {beta!r}')
    return dict(options, beta=beta)


def check_metrics(metrics: Union[str, Sequence[str]]) -> List[str]:
    """``metrics`` as a list, refused (KeyError) if it names a metric that is not supported."""
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise KeyError(f'metric {unknown} is not supported; choose from {list(METRICS)}')
    return metrics


def total_area_to_metrics(total_area_intersect, total_area_union, total_area_pred_label, total_area_label,
                          metrics: Union[str, Sequence[str]] = ('mIoU',), nan_to_num: Optional[float] = None,
                          beta: float = 1) -> 'OrderedDict[str, np.ndarray]':
    """'aAcc' (a float) and per-class arrays: 'IoU'/'Acc' (mIoU), 'Dice'/'Acc' (mDice),
    'Fscore'/'Precision'/'Recall' (mFscore). Classes absent from labels and predictions give NaN
    (or ``nan_to_num``)."""
    metrics = check_metrics(metrics)
    with np.errstate(divide='ignore', invalid='ignore'):
        ret = OrderedDict(aAcc=np.asarray(total_area_intersect).sum() / np.asarray(total_area_label).sum())
        acc = total_area_intersect / total_area_label
        for metric in metrics:
            if metric == 'mIoU':
                ret['IoU'] = total_area_intersect / total_area_union
                ret['Acc'] = acc
            elif metric == 'mDice':
                ret['Dice'] = 2 * total_area_intersect / (total_area_pred_label + total_area_label)
                ret['Acc'] = acc
            else:
                precision = total_area_intersect / total_area_pred_label
                recall = total_area_intersect / total_area_label
                ret['Fscore'] = np.array([f_score(p, r, beta) for p, r in zip(precision, recall)])
                ret['Precision'] = precision
                ret['Recall'] = recall
    if nan_to_num is not None:
        ret = OrderedDict((k, np.nan_to_num(v, nan=nan_to_num)) for k, v in ret.items())
    return ret


def _record_areas(record) -> Tuple[np.ndarray, ...]:
    if isinstance(record, dict):
        return areas_from_confusion(np.asarray(record['confusion']))
    if isinstance(record, np.ndarray) and record.ndim == 2:
        return areas_from_confusion(record)
    if isinstance(record, (tuple, list)) and len(record) == 4:
        return tuple(np.asarray(area, dtype=np.float64) for area in record)
    raise TypeError(f'a pre-eval record must be a dict with "confusion", a confusion matrix or a 4-tuple of '
                    f'areas, got {type(record).__name__}')


def pre_eval_to_metrics(pre_eval_results: Sequence, metrics: Union[str, Sequence[str]] = ('mIoU',),
                        nan_to_num: Optional[float] = None, beta: float = 1) -> 'OrderedDict[str, np.ndarray]':
    """Metrics from per-image records: dicts with a 'confusion' matrix (``dataset.pre_eval``), bare
    confusion matrices, or mmseg's (intersect, union, pred, label) area tuples."""
    if len(pre_eval_results) == 0:
        raise ValueError('no pre-eval results to compute metrics from')
    areas = _record_areas(pre_eval_results[0])
    for record in pre_eval_results[1:]:
        areas = tuple(total + part for total, part in zip(areas, _record_areas(record)))
    return total_area_to_metrics(*areas, metrics=metrics, nan_to_num=nan_to_num, beta=beta)


def eval_metrics(results, gt_seg_maps, num_classes: int, ignore_index: int,
                 metrics: Union[str, Sequence[str]] = ('mIoU',), nan_to_num: Optional[float] = None,
                 label_map: Optional[Dict[int, int]] = None, reduce_zero_label: bool = False,
                 beta: float = 1) -> 'OrderedDict[str, np.ndarray]':
    """Metrics of predictions against label maps (arrays or file paths; generators welcome)."""
    areas = total_intersect_and_union(results, gt_seg_maps, num_classes, ignore_index, label_map, reduce_zero_label)
    return total_area_to_metrics(*areas, metrics=metrics, nan_to_num=nan_to_num, beta=beta)


def mean_iou(results, gt_seg_maps, num_classes: int, ignore_index: int, nan_to_num: Optional[float] = None,
             label_map: Optional[Dict[int, int]] = None, reduce_zero_label: bool = False):
    """aAcc, per-class IoU and Acc."""
    return eval_metrics(results, gt_seg_maps, num_classes, ignore_index, ['mIoU'], nan_to_num, label_map,
                        reduce_zero_label)


def mean_dice(results, gt_seg_maps, num_classes: int, ignore_index: int, nan_to_num: Optional[float] = None,
              label_map: Optional[Dict[int, int]] = None, reduce_zero_label: bool = False):
    """aAcc, per-class Dice and Acc."""
    return eval_metrics(results, gt_seg_maps, num_classes, ignore_index, ['mDice'], nan_to_num, label_map,
                        reduce_zero_label)


def mean_fscore(results, gt_seg_maps, num_classes: int, ignore_index: int, nan_to_num: Optional[float] = None,
                label_map: Optional[Dict[int, int]] = None, reduce_zero_label: bool = False, beta: float = 1):
    """aAcc, per-class F-score, Precision and Recall."""
    return eval_metrics(results, gt_seg_maps, num_classes, ignore_index, ['mFscore'], nan_to_num, label_map,
                        reduce_zero_label, beta)
