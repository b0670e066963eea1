import os.path as osp

import numpy as np
import pytest
import torch

from mmcv.config import Config
from mmcv.image import imread
from mmseg.core import SegResult
from mmseg.datasets import CustomDataset, DRIVEDataset, RepeatDataset, build_dataset

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TEST_PIPELINE = [dict(type='LoadImageFromFile'),
                 dict(type='MultiScaleFlipAug', img_scale=(100, 96), flip=False,
                      transforms=[dict(type='Resize', keep_ratio=True), dict(type='ImageToTensor', keys=['img']),
                                  dict(type='Collect', keys=['img'])])]


def _drive(drive_root, **kwargs):
    kwargs.setdefault('ann_dir', 'annotations/validation')
    return DRIVEDataset(pipeline=TEST_PIPELINE, data_root=drive_root, img_dir='images/validation', test_mode=True,
                        **kwargs)


def test_drive_dataset_lists_images_with_labels_and_masks(drive_root):
    dataset = _drive(drive_root, fov_dir='masks/validation')
    assert len(dataset) == 3 and dataset.CLASSES == ('background', 'vessel')
    assert dataset.PALETTE == [[120, 120, 120], [6, 230, 230]]
    assert dataset.img_infos[0] == dict(filename='01.png', ann=dict(seg_map='01_manual1.png'), fov='01_mask.png')
    assert dataset.img_dir == osp.join(drive_root, 'images/validation')
    gt = dataset.get_gt_seg_map_by_idx(1)
    assert gt.shape == (96, 100) and set(np.unique(gt)) == {0, 1}
    assert len(list(dataset.get_gt_seg_maps())) == 3
    assert set(np.unique(dataset.get_fov_mask_by_idx(0))) == {0, 1}
    sample = dataset[0]
    assert sample['img'][0].shape == (3, 96, 100) and sample['img_metas'][0]['ori_filename'] == '01.png'


def test_train_mode_returns_image_and_label(drive_root):
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                dict(type='RandomCrop', crop_size=(32, 32)), dict(type='DefaultFormatBundle'),
                dict(type='Collect', keys=['img', 'gt_semantic_seg'], meta_keys=['filename'])]
    dataset = DRIVEDataset(pipeline=pipeline, data_root=drive_root, img_dir='images/training',
                           ann_dir='annotations/training')
    sample = dataset[2]
    assert sample['img'].shape == (3, 32, 32) and sample['gt_semantic_seg'].shape == (1, 32, 32)
    assert sample['img_metas']['filename'].endswith('23.png')


def test_missing_or_empty_folders_say_where_and_how(drive_root, tmp_path):
    with pytest.raises(FileNotFoundError, match=r'nowhere/images/training.*convert_datasets/drive\.py'):
        DRIVEDataset(pipeline=[], data_root=str(tmp_path / 'nowhere'), img_dir='images/training')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match=r"no images ending with '.png' in .*empty"):
        DRIVEDataset(pipeline=[], img_dir=str(tmp_path / 'empty'))
    with pytest.raises(FileNotFoundError, match='label map folder .*annotations/nothing'):
        _drive(drive_root, ann_dir='annotations/nothing')
    with pytest.raises(FileNotFoundError, match=r'label map files are missing .*01_manual1.png'):
        _drive(drive_root, ann_dir='masks/validation')


def test_split_file_selects_images(drive_root, tmp_path):
    split = tmp_path / 'split.txt'
    split.write_text('03\n01\n\n')
    dataset = _drive(drive_root, split=str(split))
    assert [info['filename'] for info in dataset.img_infos] == ['01.png', '03.png']


def test_custom_classes_subset_builds_label_map(tmp_path):
    (tmp_path / 'img').mkdir()
    (tmp_path / 'ann').mkdir()
    from mmcv.image import imwrite
    imwrite(np.zeros((4, 4, 3), np.uint8), tmp_path / 'img' / 'a.jpg')
    imwrite(np.array([[0, 1, 2, 2]] * 4, np.uint8), tmp_path / 'ann' / 'a.png')

    class Three(CustomDataset):
        CLASSES = ('sky', 'road', 'car')
        PALETTE = [[1, 1, 1], [2, 2, 2], [3, 3, 3]]

    dataset = Three(pipeline=[], img_dir=str(tmp_path / 'img'), ann_dir=str(tmp_path / 'ann'),
                    classes=['car', 'sky'])
    assert dataset.CLASSES == ('car', 'sky') and dataset.label_map == {0: 1, 1: 255, 2: 0}
    assert dataset.PALETTE == [[3, 3, 3], [1, 1, 1]]
    assert dataset.get_gt_seg_map_by_idx(0)[0].tolist() == [1, 255, 0, 0]
    with pytest.raises(ValueError, match='bus'):
        Three(pipeline=[], img_dir=str(tmp_path / 'img'), classes=['bus'])
    assert Three(pipeline=[], img_dir=str(tmp_path / 'img'), classes=['sky', 'road', 'car']).label_map == {}


def test_pre_eval_and_evaluate_perfect_predictions(drive_root, capsys):
    dataset = _drive(drive_root, fov_dir='masks/validation')
    gts = list(dataset.get_gt_seg_maps())
    probs = [g.astype(np.float16) * 0.9 + 0.05 for g in gts]
    records = dataset.pre_eval([SegResult(g.astype(np.uint8), prob=p) for g, p in zip(gts, probs)], [0, 1, 2])
    assert set(records[0]) == {'confusion', 'fov'} and records[0]['confusion'].shape == (2, 2)
    results = dataset.evaluate(records, metric=['mIoU', 'mDice'])
    assert results['aAcc'] == 1.0 and results['mDice'] == 1.0 and results['IoU.vessel'] == 1.0
    assert {'fov.Se', 'fov.Sp', 'fov.Acc', 'fov.AUC', 'fov.F1'} <= set(results)
    assert results['fov.AUC'] == 1.0 and results['fov.F1'] == 1.0
    out = capsys.readouterr().out
    assert 'per class results' in out and ' vessel ' in out and '| 100.0 |' in out


def test_evaluate_raw_predictions_has_no_auc(drive_root, capsys):
    dataset = _drive(drive_root, fov_dir='masks/validation')
    preds = [np.zeros_like(g) for g in dataset.get_gt_seg_maps()]
    results = dataset.evaluate(preds, metric='mDice')
    assert results['Dice.vessel'] == 0.0 and 0.8 < results['aAcc'] < 1.0
    assert np.isnan(results['fov.AUC']) and results['fov.Se'] == 0.0 and results['fov.Sp'] == 1.0
    assert 'AUC is NaN' in capsys.readouterr().out
    with pytest.raises(KeyError, match='mAP'):
        dataset.evaluate(preds, metric='mAP')


def test_evaluate_without_fov_masks_has_no_fov_keys(drive_root):
    dataset = _drive(drive_root)
    results = dataset.evaluate(list(dataset.get_gt_seg_maps()), metric='mFscore', logger='silent')
    assert results['mFscore'] == 1.0 and results['Precision.vessel'] == 1.0
    assert not any(key.startswith('fov.') for key in results)


def test_format_results_writes_label_pngs(drive_root, tmp_path):
    dataset = _drive(drive_root)
    gts = list(dataset.get_gt_seg_maps())
    files = dataset.format_results([SegResult(gts[2]), gts[1]], str(tmp_path / 'out'), indices=[2, 1])
    assert files == [str(tmp_path / 'out' / '03.png'), str(tmp_path / 'out' / '02.png')]
    assert np.array_equal(imread(files[0], flag='unchanged'), gts[2])
    assert np.array_equal(imread(files[1], flag='unchanged'), gts[1])


def test_mmseg0x_label_arrays_and_seg_results_score_the_same(drive_root):
    dataset = _drive(drive_root, fov_dir='masks/validation')
    rng = np.random.RandomState(0)
    preds = [rng.randint(0, 2, size=g.shape).astype(np.int64) for g in dataset.get_gt_seg_maps()]
    from_arrays = dataset.evaluate(dataset.pre_eval(preds, [0, 1, 2]), metric='mDice', logger='silent')
    from_results = dataset.evaluate([SegResult(p) for p in preds], metric='mDice', logger='silent')
    assert from_arrays == pytest.approx(from_results, nan_ok=True) and 0 < from_arrays['mDice'] < 1


def test_a_fov_mask_given_with_the_prediction_is_scored(drive_root):
    dataset = _drive(drive_root)  # no fov_dir: without the predictions' own masks there are no FOV metrics
    gts = list(dataset.get_gt_seg_maps())
    fovs = [np.zeros_like(g) for g in gts]
    for fov in fovs:
        fov[:, :fov.shape[1] // 2] = 1
    preds = [np.where(np.arange(g.shape[1]) < g.shape[1] // 2, g, 1 - g) for g in gts]  # wrong outside the FOV
    results = dataset.evaluate([SegResult(p, fov=f) for p, f in zip(preds, fovs)], metric='mDice', logger='silent')
    assert results['fov.Acc'] == 1.0 and results['aAcc'] < 0.9


def test_a_prediction_of_another_type_is_a_clear_error(drive_root):
    dataset = _drive(drive_root)
    gt = dataset.get_gt_seg_map_by_idx(0)
    with pytest.raises(TypeError, match=r"image 0 is dict; expected a 2-D label map .*SegResult\(label_map"):
        dataset.pre_eval([dict(pred=gt, prob=gt.astype(np.float16))], [0])
    with pytest.raises(ValueError, match=r'SegResult.prob must be None or an array of the label map'):
        SegResult(gt, prob=np.zeros((3, 3)))


def test_repeat_dataset(drive_root):
    dataset = _drive(drive_root)
    repeated = build_dataset(dict(type='RepeatDataset', times=4, dataset=dict(
        type='DRIVEDataset', pipeline=TEST_PIPELINE, data_root=drive_root, img_dir='images/validation',
        test_mode=True)))
    assert isinstance(repeated, RepeatDataset) and len(repeated) == 12 and repeated.CLASSES == dataset.CLASSES
    assert repeated[4]['img_metas'][0]['ori_filename'] == '02.png'
    with pytest.raises(ValueError, match='times'):
        RepeatDataset(dataset, 0)


def test_drive_config_builds_train_and_val(drive_root):
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets/drive.py'))
    cfg.data.train.dataset.data_root = drive_root
    cfg.data.val.data_root = drive_root
    train = build_dataset(cfg.data.train)
    assert len(train) == 4 * 40000
    np.random.seed(0)
    sample = train[1]
    assert sample['img'].shape == (3, 64, 64) and sample['img'].dtype == torch.float32
    assert sample['gt_semantic_seg'].shape == (1, 64, 64)
    assert set(torch.unique(sample['gt_semantic_seg']).tolist()) <= {0, 1, 255}
    val = build_dataset(cfg.data.val, dict(test_mode=True))
    assert val.fov_dir == osp.join(drive_root, 'masks/validation')
    # keep_ratio rescales 100x96 to fit (584, 565) as (long, short) bounds: factor 5.84
    assert val[0]['img'][0].shape == (3, 561, 584)
