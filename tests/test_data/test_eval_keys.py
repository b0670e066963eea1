"""evaluation.save_best is checked against the metrics the validation set(s) report, before training."""
import numpy as np
import pytest
from torch.utils.data import DataLoader

from mmseg.core import SegResult
from mmseg.core.evaluation import EvalHook
from mmseg.datasets import ConcatDataset, DRIVEDataset


def _drive(drive_root, fov=True):
    kwargs = dict(fov_dir='masks/validation') if fov else {}
    return DRIVEDataset(pipeline=[], data_root=drive_root, img_dir='images/validation', ann_dir='annotations/validation',
                        test_mode=True, **kwargs)


@pytest.mark.parametrize('metric', ['mDice', ['mIoU', 'mFscore']])
@pytest.mark.parametrize('fov', [True, False])
def test_metric_keys_are_the_keys_evaluate_returns(drive_root, metric, fov):
    dataset = _drive(drive_root, fov)
    preds = [SegResult((dataset.get_gt_seg_map_by_idx(i) > 0).astype(np.uint8),
                       prob=np.full(dataset.get_gt_seg_map_by_idx(i).shape, 0.5, np.float32))
             for i in range(len(dataset))]
    assert dataset.metric_keys(metric=metric) == list(dataset.evaluate(preds, metric=metric))
    joint = ConcatDataset([dataset, _drive(drive_root, fov)])
    assert joint.metric_keys(metric=metric) == list(joint.evaluate(preds + preds, metric=metric))


def test_save_best_of_a_list_of_validation_sets_is_checked_before_training(drive_root):
    """data.val=[DRIVE, STARE] with save_best='mDice' used to train until the first evaluation, then die."""
    loader = DataLoader(ConcatDataset([_drive(drive_root), _drive(drive_root)]))
    with pytest.raises(ValueError, match=r"save_best='mDice' is not among.*use one of '0_mDice', '1_mDice'"):
        EvalHook(loader, interval=10, metric='mDice', save_best='mDice')
    assert EvalHook(loader, interval=10, metric='mDice', save_best='1_mDice').rule == 'greater'


def test_save_best_of_a_metric_not_asked_for_or_without_fov_masks(drive_root):
    loader = DataLoader(_drive(drive_root, fov=False))
    with pytest.raises(ValueError, match=r"save_best='mIoU'.*It reports: aAcc, mDice"):
        EvalHook(loader, metric='mDice', save_best='mIoU')
    with pytest.raises(ValueError, match='fov.* metrics need FOV masks'):
        EvalHook(loader, metric='mDice', save_best='fov.AUC')
    EvalHook(DataLoader(_drive(drive_root)), metric='mDice', save_best='fov.AUC')


def test_per_image_results_name_each_image_and_keep_the_evaluate_keys(drive_root):
    dataset = _drive(drive_root)
    preds = [SegResult((dataset.get_gt_seg_map_by_idx(i) > 0).astype(np.uint8)) for i in range(len(dataset))]
    entries = dataset.per_image_results(preds)
    assert [e['image'] for e in entries] == [info['filename'] for info in dataset.img_infos]
    fov_keys = [key for key in dataset.metric_keys(metric='mDice') if key.startswith('fov.')]
    assert all(list(e) == ['image', 'Dice.vessel'] + fov_keys for e in entries)
    assert all(e['Dice.vessel'] == 1.0 and e['fov.clDice'] == 1.0 for e in entries), 'perfect predictions'
    joint = ConcatDataset([dataset, _drive(drive_root, fov=False)])
    names = [e['image'] for e in joint.per_image_results(preds + preds)]
    assert names == [f'{i}/{info["filename"]}' for i in range(2) for info in dataset.img_infos]
