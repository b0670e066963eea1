"""STARE, CHASE_DB1 and HRF datasets on fake trees in the converters' layout, and training on several sets."""
import numpy as np
import pytest

from mmseg.datasets import ChaseDB1Dataset, ConcatDataset, HRFDataset, STAREDataset, build_dataset
from retinal_fakes import LAYOUTS

TEST_PIPELINE = [dict(type='LoadImageFromFile'),
                 dict(type='MultiScaleFlipAug', img_scale=(80, 72), flip=False,
                      transforms=[dict(type='Resize', keep_ratio=True), dict(type='ImageToTensor', keys=['img']),
                                  dict(type='Collect', keys=['img'])])]
CLASSES = {'STARE': STAREDataset, 'CHASE_DB1': ChaseDB1Dataset, 'HRF': HRFDataset}


@pytest.mark.parametrize('name', sorted(CLASSES))
def test_dataset_reads_first_observer_and_fov_masks(name, retinal_tree):
    root = retinal_tree(name, num_train=3, num_val=2)
    dataset = CLASSES[name](pipeline=TEST_PIPELINE, data_root=root, img_dir='images/validation',
                            ann_dir='annotations/validation', fov_dir='masks/validation', test_mode=True)
    first, first_suffix = sorted(LAYOUTS[name][1])[0], LAYOUTS[name][2]
    assert len(dataset) == 2 and dataset.CLASSES == ('background', 'vessel')
    assert dataset.img_infos[0] == dict(filename=first + '.png', ann=dict(seg_map=first + first_suffix),
                                        fov=first + '_mask.png')
    gt = dataset.get_gt_seg_map_by_idx(0)
    assert gt.shape == (72, 80) and set(np.unique(gt)) == {0, 1}
    assert set(np.unique(dataset.get_fov_mask_by_idx(1))) == {0, 1}
    assert dataset[0]['img'][0].shape == (3, 72, 80)
    train = CLASSES[name](pipeline=[], data_root=root, img_dir='images/training', ann_dir='annotations/training')
    assert len(train) == 3  # only images: the second observer's files beside the labels are not images


@pytest.mark.parametrize('name', ['STARE', 'CHASE_DB1'])
def test_second_observer_is_one_suffix_away(name, retinal_tree):
    root = retinal_tree(name, num_train=3, num_val=2)
    cls = CLASSES[name]
    first = cls(pipeline=[], data_root=root, img_dir='images/validation', ann_dir='annotations/validation')
    second = cls(pipeline=[], data_root=root, img_dir='images/validation', ann_dir='annotations/validation',
                 seg_map_suffix=cls.SECOND_OBSERVER_SUFFIX)
    assert second.img_infos[0]['ann']['seg_map'] == sorted(LAYOUTS[name][1])[0] + LAYOUTS[name][3]
    assert not np.array_equal(first.get_gt_seg_map_by_idx(0), second.get_gt_seg_map_by_idx(0))


def test_missing_folders_and_files_say_what_and_how(tmp_path, retinal_tree):
    with pytest.raises(FileNotFoundError, match=r'STAREDataset: the image folder .*nowhere.* STARE converter'):
        STAREDataset(pipeline=[], data_root=str(tmp_path / 'nowhere'), img_dir='images/training')
    root = retinal_tree('CHASE_DB1')
    with pytest.raises(FileNotFoundError, match=r'ChaseDB1Dataset: 1 label map files are missing .*Image_12L_1stHO'):
        build_dataset(dict(type='ChaseDB1Dataset', pipeline=[], data_root=root, img_dir='images/validation',
                           ann_dir='masks/validation'))


def _set(name, root, split='validation', **kwargs):
    kwargs.setdefault('fov_dir', f'masks/{split}')
    return dict(type=f'{name}Dataset' if name != 'CHASE_DB1' else 'ChaseDB1Dataset', data_root=root,
                img_dir=f'images/{split}', ann_dir=f'annotations/{split}', pipeline=TEST_PIPELINE, **kwargs)


def test_list_of_configs_and_repeat_of_list_concatenate(retinal_tree):
    drive, stare = retinal_tree('DRIVE', num_train=3, num_val=2), retinal_tree('STARE', num_train=3, num_val=2)
    joint = build_dataset([_set('DRIVE', drive), _set('STARE', stare, split='training')])
    assert isinstance(joint, ConcatDataset) and len(joint) == 5 and joint.CLASSES == ('background', 'vessel')
    assert joint[1]['img_metas'][0]['ori_filename'] == '02.png'
    assert joint[2]['img_metas'][0]['ori_filename'] == 'im0001.png'
    assert joint.get_dataset_idx_and_sample_idx(4) == (1, 2) and joint.get_dataset_idx_and_sample_idx(-1) == (1, 2)
    assert np.array_equal(joint.get_gt_seg_map_by_idx(3), joint.datasets[1].get_gt_seg_map_by_idx(1))
    assert len(list(joint.get_gt_seg_maps())) == 5
    repeated = build_dataset(dict(type='RepeatDataset', times=3, dataset=[_set('DRIVE', drive), _set('STARE', stare)]))
    assert len(repeated) == 12 and isinstance(repeated.dataset, ConcatDataset)
    typed = build_dataset(dict(type='ConcatDataset', separate_eval=False,
                               datasets=[_set('DRIVE', drive), _set('STARE', stare)]))
    assert len(typed) == 4 and typed.separate_eval is False


def test_dir_lists_in_one_config_give_one_dataset_each(retinal_tree):
    root = retinal_tree('STARE', num_train=3, num_val=2)
    cfg = dict(type='STAREDataset', data_root=root, pipeline=TEST_PIPELINE, separate_eval=False,
               img_dir=['images/training', 'images/validation'],
               ann_dir=['annotations/training', 'annotations/validation'],
               fov_dir=['masks/training', 'masks/validation'])
    joint = build_dataset(cfg)
    assert [len(d) for d in joint.datasets] == [3, 2] and joint.separate_eval is False
    assert joint.datasets[1].fov_dir.endswith('masks/validation') and joint.fov_dir[0].endswith('masks/training')
    with pytest.raises(ValueError, match=r"'img_dir': 2, 'ann_dir': 1.*one length"):
        build_dataset(dict(cfg, ann_dir=['annotations/training']))
    shared_ann = build_dataset(dict(cfg, img_dir=['images/validation', 'images/validation'],
                                    ann_dir='annotations/validation', fov_dir=None))
    assert [len(d) for d in shared_ann.datasets] == [2, 2] and shared_ann.fov_dir is None


def test_concat_refuses_different_classes(retinal_tree):
    root = retinal_tree('STARE', num_train=3, num_val=2)
    with pytest.raises(ValueError, match=r'dataset 1 \(STAREDataset\) has CLASSES .*vessel.*must agree'):
        build_dataset([_set('STARE', root), _set('STARE', root, classes=('vessel',))])


def _perfect_and_empty(joint):
    """Predictions: the label maps for dataset 0, all background for dataset 1."""
    return [joint.get_gt_seg_map_by_idx(i) if joint.get_dataset_idx_and_sample_idx(i)[0] == 0
            else np.zeros_like(joint.get_gt_seg_map_by_idx(i)) for i in range(len(joint))]


def test_separate_eval_scores_each_set_as_alone(retinal_tree):
    drive, stare = retinal_tree('DRIVE', num_train=3, num_val=2), retinal_tree('STARE', num_train=3, num_val=2)
    joint = build_dataset([_set('DRIVE', drive), _set('STARE', stare)])
    preds = _perfect_and_empty(joint)
    records = joint.pre_eval(preds, list(range(len(joint))))
    for results in (preds, records):
        metrics = joint.evaluate(results, metric='mDice')
        assert metrics['0_mDice'] == pytest.approx(1.0) and metrics['0_fov.F1'] == pytest.approx(1.0)
        alone = joint.datasets[1].evaluate(preds[2:], metric='mDice')
        assert metrics['1_mDice'] == pytest.approx(alone['mDice']) and metrics['1_mDice'] < 0.6
    with pytest.raises(ValueError, match='got 3 results for 4 images'):
        joint.evaluate(records[:3], metric='mDice')


def test_pooled_eval_scores_all_images_as_one_set(retinal_tree):
    drive, stare = retinal_tree('DRIVE', num_train=3, num_val=2), retinal_tree('STARE', num_train=3, num_val=2)
    joint = build_dataset(dict(type='ConcatDataset', separate_eval=False,
                               datasets=[_set('DRIVE', drive), _set('STARE', stare)]))
    preds = _perfect_and_empty(joint)
    records = joint.datasets[0].pre_eval(preds[:2], [0, 1]) + joint.datasets[1].pre_eval(preds[2:], [0, 1])
    expected = joint.datasets[0].evaluate(records, metric='mDice')
    for results in (preds, joint.pre_eval(preds, list(range(4)))):
        metrics = joint.evaluate(results, metric='mDice')
        assert '0_mDice' not in metrics and metrics['mDice'] == pytest.approx(expected['mDice'])
    assert 0.6 < expected['mDice'] < 1.0
