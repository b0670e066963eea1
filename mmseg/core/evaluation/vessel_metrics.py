"""Retinal-vessel protocol: sensitivity, specificity, accuracy, F1 and AUC inside the field of view (FOV).

Each image contributes a small record: the vessel confusion counts inside its FOV mask and, when
vessel probabilities are available, two fixed-bin histograms of P(vessel) (one for vessel pixels,
one for background pixels). Summed over images they give the exact counts and an AUC that equals
the rank-based AUC of the probabilities quantised to the bins.
"""
import math
from typing import Dict, Optional, Sequence

import numpy as np

NUM_BINS = 1000
FOV_METRICS = ('Se', 'Sp', 'Acc', 'AUC', 'F1')


def fov_record(pred_label: np.ndarray, label: np.ndarray, fov_mask: np.ndarray, prob: Optional[np.ndarray] = None,
               ignore_index: int = 255, positive_class: int = 1, num_bins: int = NUM_BINS) -> Dict[str, np.ndarray]:
    """Counts of one image inside ``fov_mask`` (non-zero = inside), ``ignore_index`` pixels left out.

    Returns ``{'counts': [tp, fp, fn, tn]}`` plus ``'hist_pos'``/``'hist_neg'`` (``num_bins`` bins of
    ``prob`` = P(positive_class) in [0, 1]) when ``prob`` is given.
    """
    for name, array in (('label', label), ('FOV mask', fov_mask), ('probability map', prob)):
        if array is not None and array.shape != pred_label.shape:
            raise ValueError(f'{name} of shape {array.shape} does not match the prediction of shape {pred_label.shape}')
    inside = (fov_mask > 0) & (label != ignore_index)
    truth = label[inside] == positive_class
    predicted = pred_label[inside] == positive_class
    tp = np.count_nonzero(truth & predicted)
    fp = np.count_nonzero(predicted) - tp
    fn = np.count_nonzero(truth) - tp
    record = {'counts': np.array([tp, fp, fn, truth.size - tp - fp - fn], dtype=np.int64)}
    if prob is not None:
        bins = np.clip((prob[inside].astype(np.float32) * num_bins).astype(np.int64), 0, num_bins - 1)
        record['hist_pos'] = np.bincount(bins[truth], minlength=num_bins)
        record['hist_neg'] = np.bincount(bins[~truth], minlength=num_bins)
    return record


def histogram_auc(hist_pos: np.ndarray, hist_neg: np.ndarray) -> float:
    """P(score of a positive > score of a negative) + 0.5 P(tie), from score histograms (NaN if a side is empty)."""
    hist_pos = np.asarray(hist_pos, dtype=np.float64)
    hist_neg = np.asarray(hist_neg, dtype=np.float64)
    num_pos, num_neg = hist_pos.sum(), hist_neg.sum()
    if num_pos == 0 or num_neg == 0:
        return math.nan
    neg_below = np.cumsum(hist_neg) - hist_neg
    return float((hist_pos * (neg_below + 0.5 * hist_neg)).sum() / (num_pos * num_neg))


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


# the keys of fov_metrics, in order (datasets report them as 'fov.<key>')
FOV_KEYS = ('Se', 'Sp', 'Acc', 'AUC', 'F1')


def fov_metrics(records: Sequence[Dict[str, np.ndarray]]) -> Dict[str, float]:
    """Se, Sp, Acc, F1 (fractions) and AUC (NaN unless every record has probability histograms)."""
    if not records:
        raise ValueError('no FOV records to compute vessel metrics from')
    tp, fp, fn, tn = (int(v) for v in sum(np.asarray(r['counts']) for r in records))
    auc = math.nan
    if all('hist_pos' in r for r in records):
        auc = histogram_auc(sum(r['hist_pos'] for r in records), sum(r['hist_neg'] for r in records))
    return {'Se': _ratio(tp, tp + fn), 'Sp': _ratio(tn, tn + fp), 'Acc': _ratio(tp + tn, tp + fp + fn + tn),
            'AUC': auc, 'F1': _ratio(2 * tp, 2 * tp + fp + fn)}
