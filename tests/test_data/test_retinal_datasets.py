"""STARE, CHASE_DB1 and HRF datasets on fake trees in the converters' layout, and training on several sets."""
import numpy as np
import pytest

from mmseg.datasets import ChaseDB1Dataset, HRFDataset, STAREDataset, build_dataset
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
