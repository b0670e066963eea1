import numpy as np
import pytest

from mmcv.image import imwrite
from mmseg.core.evaluation import (confusion_matrix, eval_metrics, intersect_and_union, mean_dice, mean_fscore,
                                   mean_iou, pre_eval_to_metrics)

PRED = np.array([[0, 0, 1],
                 [1, 1, 2],
                 [2, 2, 0]])
GT = np.array([[0, 1, 1],
               [1, 255, 2],
               [2, 0, 0]])


def test_confusion_matrix_by_hand():
    # rows = ground truth, columns = prediction; the 255 pixel is ignored
    expected = np.array([[2, 0, 1],
                         [1, 2, 0],
                         [0, 0, 2]])
    assert np.array_equal(confusion_matrix(PRED, GT, 3, 255), expected)
    intersect, union, pred_area, label_area = intersect_and_union(PRED, GT, 3, 255)
    assert intersect.tolist() == [2, 2, 2] and pred_area.tolist() == [3, 2, 3] and label_area.tolist() == [3, 3, 2]
    assert union.tolist() == [4, 3, 3]


def test_eval_metrics_by_hand():
    ret = eval_metrics([PRED], [GT], 3, 255, metrics=['mIoU', 'mDice', 'mFscore'])
    assert ret['aAcc'] == pytest.approx(6 / 8)
    assert np.allclose(ret['IoU'], [2 / 4, 2 / 3, 2 / 3])
    assert np.allclose(ret['Dice'], [4 / 6, 4 / 5, 4 / 5])
    assert np.allclose(ret['Acc'], [2 / 3, 2 / 3, 1])
    assert np.allclose(ret['Precision'], [2 / 3, 1, 2 / 3]) and np.allclose(ret['Recall'], [2 / 3, 2 / 3, 1])
    assert np.allclose(ret['Fscore'], ret['Dice'])  # F1 is Dice
    beta2 = eval_metrics([PRED], [GT], 3, 255, metrics='mFscore', beta=2)['Fscore']
    assert beta2[1] == pytest.approx(5 * (1 * 2 / 3) / (4 * 1 + 2 / 3))


def _independent(preds, gts, num_classes, ignore_index):
    """Per-class counts by explicit loops over classes (no confusion matrix)."""
    inter = np.zeros(num_classes)
    pred_area = np.zeros(num_classes)
    gt_area = np.zeros(num_classes)
    for pred, gt in zip(preds, gts):
        valid = gt != ignore_index
        for c in range(num_classes):
            inter[c] += np.sum((pred == c) & (gt == c) & valid)
            pred_area[c] += np.sum((pred == c) & valid)
            gt_area[c] += np.sum((gt == c) & valid)
    return inter, pred_area, gt_area


def test_random_maps_match_an_independent_computation():
    rng = np.random.default_rng(0)
    preds = [rng.integers(0, 4, (30, 20)) for _ in range(5)]
    gts = [np.where(rng.random((30, 20)) < 0.1, 255, rng.integers(0, 4, (30, 20))) for _ in range(5)]
    inter, pred_area, gt_area = _independent(preds, gts, 4, 255)
    ret = eval_metrics(preds, gts, 4, 255, metrics=['mIoU', 'mDice', 'mFscore'])
    assert ret['aAcc'] == pytest.approx(inter.sum() / gt_area.sum())
    assert np.allclose(ret['IoU'], inter / (pred_area + gt_area - inter))
    assert np.allclose(ret['Dice'], 2 * inter / (pred_area + gt_area))
    assert np.allclose(ret['Precision'], inter / pred_area) and np.allclose(ret['Recall'], inter / gt_area)
    records = [confusion_matrix(p, g, 4, 255) for p, g in zip(preds, gts)]
    pooled = pre_eval_to_metrics(records, ['mIoU', 'mDice'])
    assert np.allclose(pooled['IoU'], ret['IoU']) and np.allclose(pooled['Dice'], ret['Dice'])
    tuples = [intersect_and_union(p, g, 4, 255) for p, g in zip(preds, gts)]  # mmseg's record form
    assert np.allclose(pre_eval_to_metrics(tuples, 'mIoU')['IoU'], ret['IoU'])
    assert np.allclose(pre_eval_to_metrics([dict(confusion=r) for r in records])['IoU'], ret['IoU'])


def test_label_map_and_reduce_zero_label():
    gt = np.array([[0, 1, 2, 3]])
    pred = np.array([[0, 0, 1, 2]])
    reduced = confusion_matrix(pred, gt, 3, 255, reduce_zero_label=True)
    assert reduced.sum() == 3 and np.trace(reduced) == 3  # 0 ignored, 1..3 -> 0..2
    mapped = confusion_matrix(pred, gt, 3, 255, label_map={3: 255, 1: 0, 2: 1})
    assert mapped.sum() == 3 and mapped[0, 0] == 2 and mapped[1, 1] == 1


def test_absent_classes_give_nan_or_nan_to_num():
    gt = np.zeros((2, 2), int)
    ret = mean_iou([gt], [gt], 3, 255)
    assert ret['IoU'][0] == 1.0 and np.isnan(ret['IoU'][1:]).all()
    assert mean_iou([gt], [gt], 3, 255, nan_to_num=-1)['IoU'].tolist() == [1.0, -1.0, -1.0]
    assert mean_dice([gt], [gt], 3, 255)['Dice'][0] == 1.0
    assert set(mean_fscore([gt], [gt], 3, 255)) == {'aAcc', 'Fscore', 'Precision', 'Recall'}


def test_labels_can_be_files(tmp_path):
    imwrite(GT.astype(np.uint8), tmp_path / 'gt.png')
    np.save(tmp_path / 'pred.npy', PRED)
    assert np.array_equal(confusion_matrix(str(tmp_path / 'pred.npy'), str(tmp_path / 'gt.png'), 3, 255),
                          confusion_matrix(PRED, GT, 3, 255))


def test_bad_inputs_are_explained():
    with pytest.raises(ValueError, match='shape'):
        confusion_matrix(PRED, GT[:2], 3, 255)
    with pytest.raises(ValueError, match=r'label map holds ids \[7\]'):
        confusion_matrix(PRED, np.full((3, 3), 7), 3, 255)
    with pytest.raises(ValueError, match='prediction holds ids'):
        confusion_matrix(PRED + 5, GT, 3, 255)
    with pytest.raises(KeyError, match='mAP'):
        eval_metrics([PRED], [GT], 3, 255, metrics=['mAP'])
    with pytest.raises(ValueError, match='no pre-eval'):
        pre_eval_to_metrics([])


def test_dataset_evaluate_uses_beta_and_refuses_unknown_options(drive_root):
    from mmseg.datasets import DRIVEDataset
    dataset = DRIVEDataset(pipeline=[], data_root=drive_root, img_dir='images/validation',
                           ann_dir='annotations/validation')
    preds = [np.ones_like(gt) for gt in dataset.get_gt_seg_maps()]  # all vessel: precision < recall = 1
    scores = dataset.evaluate(preds, metric='mFscore', beta=2, logger='silent')
    precision, recall = scores['Precision.vessel'], scores['Recall.vessel']
    assert recall == 1.0 and 0 < precision < 1
    assert scores['Fscore.vessel'] == pytest.approx(5 * precision * recall / (4 * precision + recall))
    with pytest.raises(ValueError, match=r"unknown option 'betta'; did you mean 'beta'\? \(accepted: beta\)"):
        dataset.evaluate(preds, metric='mFscore', betta=2, logger='silent')
    with pytest.raises(ValueError, match='beta only changes mFscore'):
        dataset.evaluate(preds, metric='mDice', beta=2, logger='silent')
