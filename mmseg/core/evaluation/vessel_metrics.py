"""Retinal-vessel protocol inside the field of view (FOV): sensitivity, specificity, accuracy, F1, AUC
and the topology of the vessel tree (clDice, connected components).

Each image contributes a small record: the vessel confusion counts inside its FOV mask, the skeleton
counts of clDice, the number of connected vessel components predicted and labelled and, when vessel
probabilities are available, two fixed-bin histograms of P(vessel) (one for vessel pixels, one for
background pixels). Summed over images they give the exact counts and an AUC that equals the rank-based
AUC of the probabilities quantised to the bins.
"""
import math
from typing import Dict, Optional, Sequence

import numpy as np
from skimage.measure import label as label_components
from skimage.morphology import skeletonize

NUM_BINS = 1000


def fov_record(pred_label: np.ndarray, label: np.ndarray, fov_mask: np.ndarray, prob: Optional[np.ndarray] = None,
               ignore_index: int = 255, positive_class: int = 1, num_bins: int = NUM_BINS) -> Dict[str, np.ndarray]:
    """Counts of one image inside ``fov_mask`` (non-zero = inside), ``ignore_index`` pixels left out.

    Returns ``{'counts': [tp, fp, fn, tn], 'skeleton': [|S(pred) & label|, |S(pred)|, |S(label) & pred|,
    |S(label)|], 'components': [predicted, labelled]}`` (see :func:`topology_counts`) plus
    ``'hist_pos'``/``'hist_neg'`` (``num_bins`` bins of ``prob`` = P(positive_class) in [0, 1]) when
    ``prob`` is given.
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
    record.update(topology_counts((pred_label == positive_class) & inside, (label == positive_class) & inside))
    if prob is not None:
        bins = np.clip((prob[inside].astype(np.float32) * num_bins).astype(np.int64), 0, num_bins - 1)
        record['hist_pos'] = np.bincount(bins[truth], minlength=num_bins)
        record['hist_neg'] = np.bincount(bins[~truth], minlength=num_bins)
    return record


def topology_counts(pred: np.ndarray, label: np.ndarray) -> Dict[str, np.ndarray]:
    """Skeleton overlaps of clDice and connected components of two boolean vessel masks (already cut to the FOV).

    ``'skeleton'``: [|S(pred) & label|, |S(pred)|, |S(label) & pred|, |S(label)|] with S the skeleton
    (``skimage.morphology.skeletonize``); ``'components'``: [predicted, labelled] connected vessel regions
    (8-connectivity, ``skimage.measure.label``).
    """
    pred_skeleton, label_skeleton = skeletonize(pred), skeletonize(label)
    skeleton = [np.count_nonzero(pred_skeleton & label), np.count_nonzero(pred_skeleton),
                np.count_nonzero(label_skeleton & pred), np.count_nonzero(label_skeleton)]
    components = [label_components(mask, connectivity=2, return_num=True)[1] for mask in (pred, label)]
    return {'skeleton': np.array(skeleton, dtype=np.int64), 'components': np.array(components, dtype=np.int64)}


def cldice(skeleton: Sequence[int]) -> float:
    """clDice (Shit et al., CVPR 2021) of skeleton counts [|S(P) & L|, |S(P)|, |S(L) & P|, |S(L)|]:
    the harmonic mean of Tprec = |S(P) & L| / |S(P)| and Tsens = |S(L) & P| / |S(L)|.

    NaN when neither mask has a skeleton (nothing to score), 0 when only one has one.
    """
    pred_in_label, pred_total, label_in_pred, label_total = (int(v) for v in skeleton)
    if pred_total == 0 and label_total == 0:
        return math.nan
    if pred_total == 0 or label_total == 0:
        return 0.0
    tprec, tsens = pred_in_label / pred_total, label_in_pred / label_total
    return 2 * tprec * tsens / (tprec + tsens) if tprec + tsens else 0.0


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


# the keys of fov_metrics, in order (datasets report them as 'fov.<key>'); COUNT_KEYS are counts, not fractions
FOV_KEYS = ('Se', 'Sp', 'Acc', 'AUC', 'F1', 'clDice', 'components_pred', 'components_label')
COUNT_KEYS = ('components_pred', 'components_label')


def fov_metrics(records: Sequence[Dict[str, np.ndarray]]) -> Dict[str, float]:
    """Se, Sp, Acc, F1, clDice (fractions), AUC (NaN unless every record has probability histograms) and
    the mean number of connected vessel components per image, predicted and labelled.

    Like Se and Sp, clDice is pooled: computed from the skeleton counts summed over the images (every
    skeleton pixel weighs the same), not a mean of per-image clDice (``per_image_metrics`` gives those).
    """
    if not records:
        raise ValueError('no FOV records to compute vessel metrics from')
    tp, fp, fn, tn = (int(v) for v in sum(np.asarray(r['counts']) for r in records))
    auc = math.nan
    if all('hist_pos' in r for r in records):
        auc = histogram_auc(sum(r['hist_pos'] for r in records), sum(r['hist_neg'] for r in records))
    metrics = {'Se': _ratio(tp, tp + fn), 'Sp': _ratio(tn, tn + fp), 'Acc': _ratio(tp + tn, tp + fp + fn + tn),
               'AUC': auc, 'F1': _ratio(2 * tp, 2 * tp + fp + fn)}
    topology = all('skeleton' in r for r in records)  # records of an older version lack it: NaN
    metrics['clDice'] = cldice(sum(np.asarray(r['skeleton']) for r in records)) if topology else math.nan
    components = np.mean([r['components'] for r in records], axis=0) if topology else (math.nan, math.nan)
    metrics['components_pred'], metrics['components_label'] = (float(c) for c in components)
    return metrics

