import math

import numpy as np
import pytest

from mmseg.core.evaluation import fov_metrics, fov_record, histogram_auc
from mmseg.core.evaluation.vessel_metrics import NUM_BINS


def rank_auc(scores: np.ndarray, truth: np.ndarray) -> float:
    """Exact AUC: mean over (positive, negative) pairs of [s+ > s-] + 0.5 [s+ == s-]."""
    pos = scores[truth][:, None]
    neg = scores[~truth][None, :]
    return float(((pos > neg) + 0.5 * (pos == neg)).mean())


def test_counts_inside_the_fov_only():
    label = np.array([[1, 1, 0, 0], [1, 0, 0, 255]])
    pred = np.array([[1, 0, 1, 0], [1, 1, 1, 1]])
    fov = np.array([[1, 1, 1, 1], [1, 1, 0, 1]])
    record = fov_record(pred, label, fov)
    assert record['counts'].tolist() == [2, 2, 1, 1]  # tp, fp, fn, tn; fov=0 and 255 pixels left out
    metrics = fov_metrics([record])
    assert metrics['Se'] == pytest.approx(2 / 3) and metrics['Sp'] == pytest.approx(1 / 3)
    assert metrics['Acc'] == pytest.approx(3 / 6) and metrics['F1'] == pytest.approx(4 / 7)
    assert math.isnan(metrics['AUC'])


def test_auc_equals_exact_rank_auc_on_bin_centres():
    rng = np.random.default_rng(0)
    truth = rng.random((8, 9)) < 0.3
    scores = (rng.integers(0, NUM_BINS, truth.shape) + 0.5) / NUM_BINS
    scores[truth] = np.minimum(scores[truth] + 0.2, 0.9995)  # vessels score higher, with overlap and ties
    fov = np.ones_like(truth, np.uint8)
    record = fov_record(truth.astype(int), truth.astype(int), fov, prob=scores)
    assert record['hist_pos'].sum() == truth.sum() and record['hist_neg'].sum() == (~truth).sum()
    assert fov_metrics([record])['AUC'] == pytest.approx(rank_auc(scores, truth), abs=1e-12)


def test_auc_pooled_over_images_and_close_for_float16_probabilities():
    rng = np.random.default_rng(1)
    images = []
    for _ in range(3):
        truth = rng.random((40, 30)) < 0.15
        prob = np.clip(rng.normal(0.35 + 0.3 * truth, 0.2), 0, 1).astype(np.float16)
        fov = (rng.random(truth.shape) < 0.8).astype(np.uint8)
        images.append((truth, prob, fov))
    records = [fov_record((p > 0.5).astype(int), t.astype(int), f, prob=p) for t, p, f in images]
    inside_scores = np.concatenate([p[f > 0].astype(np.float64) for t, p, f in images])
    inside_truth = np.concatenate([t[f > 0] for t, p, f in images])
    assert fov_metrics(records)['AUC'] == pytest.approx(rank_auc(inside_scores, inside_truth), abs=2e-3)


def test_histogram_auc_edge_cases():
    assert histogram_auc([0, 0, 3], [2, 0, 0]) == 1.0
    assert histogram_auc([2, 0], [0, 2]) == 0.0
    assert histogram_auc([1, 1], [1, 1]) == 0.5
    assert math.isnan(histogram_auc([0, 0], [1, 1]))


def test_auc_is_nan_when_one_image_lacks_probabilities():
    ones = np.ones((2, 2), int)
    with_prob = fov_record(ones, ones, ones, prob=np.full((2, 2), 0.9))
    assert math.isnan(fov_metrics([with_prob, fov_record(ones, ones, ones)])['AUC'])
    with pytest.raises(ValueError, match='FOV mask of shape'):
        fov_record(ones, ones, np.ones((3, 3)))
    with pytest.raises(ValueError, match='no FOV records'):
        fov_metrics([])
