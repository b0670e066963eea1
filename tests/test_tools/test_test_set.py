"""tools/test.py --test-set: score a model on another dataset's test split (with and without FOVRescale)."""
import glob
import os.path as osp

import numpy as np
import pytest

from mmcv.config import Config
from mmcv.fileio import load
from mmcv.image import imread
from mmseg.apis.test_set import use_test_set
from mmseg.apis.testing import enable_aug_test

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STARE = osp.join(ROOT, 'configs', '_base_', 'datasets', 'stare.py')
STARE_FOV540 = osp.join(ROOT, 'configs', '_base_', 'datasets', 'stare_fov540.py')

pytestmark = pytest.mark.usefixtures('cli_state')


def test_use_test_set_swaps_data_test_and_keeps_the_model(tiny_config):
    cfg = Config.fromfile(tiny_config)
    model, val = cfg.model.copy(), cfg.data.val.copy()
    use_test_set(cfg, STARE, {'data.test.data_root': '/elsewhere', 'model.test_cfg.mode': 'whole'})
    assert cfg.data.test.type == 'STAREDataset' and cfg.data.test.fov_dir == 'masks/validation'
    assert cfg.data.test.data_root == '/elsewhere' and cfg.test_set == STARE
    assert cfg.model == model and cfg.data.val == val
    with pytest.raises(KeyError, match=r'unet\+\+_r34.py has no data.test; give a dataset config'):
        use_test_set(cfg, osp.join(ROOT, 'configs', '_base_', 'models', 'unet++_r34.py'))
    with pytest.raises(FileNotFoundError, match='--test-set nowhere.py'):
        use_test_set(cfg, 'nowhere.py')


def test_aug_test_finds_multiscale_flip_aug_after_fov_rescale(tiny_config):
    cfg = use_test_set(Config.fromfile(tiny_config), STARE_FOV540)
    enable_aug_test(cfg)
    aug = cfg.data.test.pipeline[3]
    assert aug.type == 'MultiScaleFlipAug' and aug.flip and aug.img_ratios == [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]


@pytest.mark.slow
@pytest.mark.parametrize('test_set', [STARE, STARE_FOV540], ids=['stare', 'stare_fov540'])
def test_drive_model_scored_on_stare(load_tool, tiny_config, tiny_checkpoint, retinal_tree, tmp_path, test_set):
    stare = retinal_tree('STARE', num_val=2)
    out = tmp_path / 'preds.pkl'
    load_tool('test').main([tiny_config, tiny_checkpoint, '--eval', 'mDice', '--out', str(out), '--work-dir',
                            str(tmp_path), '--test-set', test_set, '--cfg-options', f'data.test.data_root={stare}'])
    preds = load(out)
    images = sorted(glob.glob(osp.join(stare, 'images', 'validation', '*.png')))
    assert len(preds) == len(images) == 2
    for pred, image in zip(preds, images):
        assert pred.shape == imread(image).shape[:2]  # back at the original size, whatever the test scale
    record = load(glob.glob(str(tmp_path / 'eval_single_scale_*.json'))[0])
    # the metrics file says what was scored: the other set's test split, where it was read
    assert record['test_set'] == osp.relpath(test_set, ROOT) and record['test_data_root'] == osp.basename(stare)
    assert record['cfg_options'] == {'data.test.data_root': osp.basename(stare)}
    metrics = record['metric']
    assert 0 <= metrics['mDice'] <= 1 and not np.isnan(metrics['fov.AUC'])  # FOV protocol on STARE's masks


def test_hrf_half_is_hrf_inferred_at_half_scale(tiny_config):
    full = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'datasets', 'hrf.py'))
    cfg = use_test_set(Config.fromfile(tiny_config), osp.join(ROOT, 'configs', '_base_', 'datasets', 'hrf_half.py'))
    half, whole = cfg.data.test, full.data.test
    assert half.type == 'HRFDataset' and half.fov_dir == 'masks/validation'  # scored in the official FOV masks
    (h, w), (full_h, full_w) = half.pipeline[1].img_scale, whole.pipeline[1].img_scale
    assert (2 * h, 2 * w) == (full_h, full_w) == (2336, 3504)
    # only the inference scale differs: predictions are resized back and scored at 3504x2336
    assert [dict(t, img_scale=None) for t in half.pipeline] == [dict(t, img_scale=None) for t in whole.pipeline]
    assert {k: v for k, v in half.items() if k != 'pipeline'} == {k: v for k, v in whole.items() if k != 'pipeline'}
