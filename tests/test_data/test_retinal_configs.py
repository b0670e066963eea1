"""The _base_ dataset files of STARE, CHASE_DB1 and HRF, and mmseg 0.x's files of those names, build and run."""
import os.path as osp
import re

import numpy as np
import pytest

from mmcv.config import Config
from mmseg.datasets import build_dataset

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# set -> (our _base_ file, dataset type, mmseg 0.x's img_scale and crop size)
SETS = {'STARE': ('stare.py', 'STAREDataset', (605, 700), (128, 128)),
        'CHASE_DB1': ('chase_db1.py', 'ChaseDB1Dataset', (960, 999), (128, 128)),
        'HRF': ('hrf.py', 'HRFDataset', (2336, 3504), (256, 256))}

# mmseg 0.x ships one dataset file per retinal set, DRIVE's with four other values: a user's copy of DRIVE's
# (0.x transform names and arguments, no FOV masks, no decode cache) is the fixture; the others are made from it.
MMSEG_0X_DRIVE = osp.join(REPO, 'tests', 'fixtures', 'mmseg0x_user_configs', '_base_', 'datasets', 'drive.py')


def mmseg_0x_file(dataset_type: str, data_root: str, img_scale, crop_size) -> str:
    """The text of mmseg 0.x's ``configs/_base_/datasets/<set>.py`` for a set other than DRIVE."""
    with open(MMSEG_0X_DRIVE) as f:
        text = f.read()
    for name, value in (('dataset_type', dataset_type), ('data_root', data_root), ('img_scale', img_scale),
                        ('crop_size', crop_size)):
        text, count = re.subn(rf'^{name} = .*$', f'{name} = {value!r}', text, flags=re.M)
        assert count == 1, f'{MMSEG_0X_DRIVE}: expected one line "{name} = ..."'
    return text


def _check_builds_and_runs(cfg, crop, expect_fov: bool) -> None:
    train = build_dataset(cfg.data.train)
    assert len(train) == 40000 * 2
    np.random.seed(0)
    for idx in range(3):
        sample = train[idx]
        assert tuple(sample['img'].shape) == (3, *crop) and tuple(sample['gt_semantic_seg'].shape) == (1, *crop)
        assert set(np.unique(sample['gt_semantic_seg'].numpy())) <= {0, 1, 255}
    for split in ('val', 'test'):
        dataset = build_dataset(cfg.data[split], dict(test_mode=True))
        assert len(dataset) == 1 and (dataset.fov_dir is not None) == expect_fov
        view = dataset[0]['img'][0]
        scale = cfg.img_scale
        assert max(view.shape[1:]) <= max(scale) and min(view.shape[1:]) <= min(scale)
        assert max(view.shape[1:]) == max(scale) or min(view.shape[1:]) == min(scale)  # keep_ratio to the bound


@pytest.mark.parametrize('name', sorted(SETS))
def test_our_base_file_builds_with_fov_masks(name, retinal_tree):
    filename, dataset_type, scale, crop = SETS[name]
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets', filename))
    assert cfg.dataset_type == dataset_type and tuple(cfg.img_scale) == scale and tuple(cfg.crop_size) == crop
    assert cfg.data_root == f'data/{name}' and cfg.data.train.times == 40000
    assert cfg.data.val.img_dir == cfg.data.test.img_dir == 'images/validation'
    root = retinal_tree(name)
    for dataset_cfg in (cfg.data.train.dataset, cfg.data.val, cfg.data.test):
        dataset_cfg.data_root = root
    _check_builds_and_runs(cfg, crop, expect_fov=True)


@pytest.mark.parametrize('name', sorted(SETS))
def test_mmseg_0x_file_builds_unchanged(name, retinal_tree, tmp_path):
    filename, dataset_type, scale, crop = SETS[name]
    path = tmp_path / filename
    path.write_text(mmseg_0x_file(dataset_type, retinal_tree(name), scale, crop))
    _check_builds_and_runs(Config.fromfile(str(path)), crop, expect_fov=False)
