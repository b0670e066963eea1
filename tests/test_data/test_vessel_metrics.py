import math

import numpy as np
import pytest

from mmseg.core.evaluation import fov_metrics, fov_record, histogram_auc
from mmseg.core.evaluation.vessel_metrics import NUM_BINS, cldice


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


# Topology on 1-pixel-wide shapes, whose skeleton is the shape itself: the answers are counted by hand.
def line(length: int = 9, gap: bool = False) -> np.ndarray:
    mask = np.zeros((7, 11), np.uint8)
    mask[3, 1:1 + length] = 1
    if gap:
        mask[3, 5] = 0  # two pieces of 4 pixels
    return mask


def y_shape(right_branch: bool = True) -> np.ndarray:
    """A Y of 13 pixels: two diagonal branches of 4 (only 8-connected) on a stem of 5."""
    mask = np.zeros((9, 9), np.uint8)
    for i in range(4):
        mask[i, i] = 1
        mask[i, 8 - i] = right_branch
    mask[4:, 4] = 1
    return mask


def test_topology_of_a_perfect_line():
    record = fov_record(line(), line(), np.ones((7, 11)))
    assert record['skeleton'].tolist() == [9, 9, 9, 9] and record['components'].tolist() == [1, 1]
    assert fov_metrics([record])['clDice'] == 1.0


def test_topology_of_a_broken_line():
    record = fov_record(line(gap=True), line(), np.ones((7, 11)))
    # every predicted skeleton pixel is a vessel (Tprec 1); 8 of the 9 label skeleton pixels are found
    assert record['skeleton'].tolist() == [8, 8, 8, 9] and record['components'].tolist() == [2, 1]
    assert fov_metrics([record])['clDice'] == pytest.approx(2 * (8 / 9) / (1 + 8 / 9))  # 16/17


def test_topology_of_a_y_with_a_missing_branch():
    record = fov_record(y_shape(right_branch=False), y_shape(), np.ones((9, 9)))
    assert record['skeleton'].tolist() == [9, 9, 9, 13]
    assert record['components'].tolist() == [1, 1], 'diagonal branches are 8-connected to the stem'
    assert fov_metrics([record])['clDice'] == pytest.approx(9 / 11)  # Tprec 1, Tsens 9/13


def test_thick_prediction_over_a_thin_vessel_keeps_cldice_high_where_pixel_f1_is_poor():
    thick = np.zeros((7, 11), np.uint8)
    thick[2:5, 1:10] = 1
    record = fov_record(thick, line(), np.ones((7, 11)))
    assert record['skeleton'][2:].tolist() == [9, 9], 'the thin label lies inside the prediction: Tsens 1'
    metrics = fov_metrics([record])
    assert metrics['F1'] == pytest.approx(2 * 9 / (27 + 9)) and metrics['clDice'] > 0.8


def test_topology_ignores_pixels_outside_the_fov():
    pred, label = line(), line()
    pred[0, :] = 1  # a false vessel on the top row, outside the FOV
    fov = np.ones((7, 11), np.uint8)
    fov[0, :] = 0
    fov[:, 5] = 0  # the FOV cuts the line in two
    record = fov_record(pred, label, fov)
    assert record['skeleton'].tolist() == [8, 8, 8, 8] and record['components'].tolist() == [2, 2]
    assert fov_metrics([record])['clDice'] == 1.0


def test_cldice_pooled_over_images_from_summed_skeleton_counts():
    records = [fov_record(line(gap=True), line(), np.ones((7, 11))),
               fov_record(y_shape(right_branch=False), y_shape(), np.ones((9, 9)))]
    metrics = fov_metrics(records)
    assert metrics['clDice'] == pytest.approx(2 * (17 / 22) / (1 + 17 / 22))  # counts [17, 17, 17, 22]
    assert metrics['clDice'] != pytest.approx((16 / 17 + 9 / 11) / 2), 'pooled, not the mean of images'
    assert metrics['components_pred'] == 1.5 and metrics['components_label'] == 1.0  # per image


def test_cldice_edge_cases():
    assert math.isnan(cldice([0, 0, 0, 0])), 'no vessel on either side: nothing to score'
    assert cldice([0, 0, 0, 5]) == 0.0 and cldice([0, 4, 0, 0]) == 0.0
    assert cldice([0, 4, 0, 5]) == 0.0
    empty = np.zeros((7, 11), np.uint8)
    record = fov_record(empty, line(), np.ones((7, 11)))
    assert record['components'].tolist() == [0, 1] and fov_metrics([record])['clDice'] == 0.0
