"""A user's copy of mmseg 0.x's UNet-S5-D16 DRIVE configs (tests/fixtures/mmseg0x_user_configs) builds, trains and
tests here unchanged: same names and arguments, mmseg's parameter count, SyncBN falling back to BN on CPU."""
import glob
import os.path as osp

import pytest
import torch

from mmcv import Config
from mmseg.apis.testing import run_test
from mmseg.apis.train import train_segmentor
from mmseg.datasets import build_dataset
from mmseg.models import build_segmentor

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
USER_CONFIGS = osp.join(ROOT, 'tests', 'fixtures', 'mmseg0x_user_configs')
CONFIGS = sorted(glob.glob(osp.join(USER_CONFIGS, 'unet', '*.py')))


@pytest.fixture(scope='module')
def fake_drive(synthetic_drive) -> str:
    """A converted synthetic DRIVE folder: 2 training images and 1 validation image of 96x80."""
    return synthetic_drive(num_train=2, num_test=1, size=(96, 80), seed=1)


def test_the_user_copy_has_the_six_drive_configs():
    names = {osp.basename(p) for p in CONFIGS}
    assert len(names) == 6 and 'fcn_unet_s5-d16_64x64_40k_drive.py' in names
    assert 'deeplabv3_unet_s5-d16_ce-1.0-dice-3.0_64x64_40k_drive.py' in names


def test_fcn_unet_s5_d16_has_mmsegs_parameter_count():
    model = build_segmentor(Config.fromfile(osp.join(USER_CONFIGS, 'unet', 'fcn_unet_s5-d16_64x64_40k_drive.py')).model)
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(29.06e6, rel=1e-3)
    assert model.test_cfg['crop_size'] == (64, 64) and model.test_cfg['stride'] == (42, 42)


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(p)[:-3] for p in CONFIGS])
def test_user_config_builds_with_its_heads_and_losses(path):
    cfg = Config.fromfile(path)
    model = build_segmentor(cfg.model)
    heads = {'fcn': 'FCNHead', 'pspnet': 'PSPHead', 'deeplabv3': 'ASPPHead'}
    assert type(model.decode_head).__name__ == heads[osp.basename(path).split('_')[0]]
    losses = [type(loss).__name__ for loss in model.decode_head.loss_decode]
    assert losses == (['CrossEntropyLoss', 'DiceLoss'] if 'dice' in path else ['CrossEntropyLoss'])


# every head once and both loss settings; each run trains one step through the runner and tests the checkpoint
LOOP_CONFIGS = ['fcn_unet_s5-d16_64x64_40k_drive.py', 'pspnet_unet_s5-d16_ce-1.0-dice-3.0_64x64_40k_drive.py',
                'deeplabv3_unet_s5-d16_ce-1.0-dice-3.0_64x64_40k_drive.py']


@pytest.mark.slow
@pytest.mark.parametrize('name', LOOP_CONFIGS)
def test_user_config_trains_a_step_and_tests(name, fake_drive, tmp_path):
    cfg = Config.fromfile(osp.join(USER_CONFIGS, 'unet', name))
    cfg.data.train.dataset.data_root = fake_drive
    cfg.data.val.data_root = cfg.data.test.data_root = fake_drive
    cfg.data.samples_per_gpu, cfg.data.workers_per_gpu = 2, 0
    cfg.data.test.pipeline[1].img_scale = (128, 128)  # 9 slide windows instead of ~170 at DRIVE's size
    cfg.runner.max_iters = 1
    cfg.checkpoint_config.interval = 1
    cfg.log_config.interval = 1
    cfg.work_dir, cfg.gpu_ids, cfg.seed = str(tmp_path), [0], 0
    torch.manual_seed(0)
    model = build_segmentor(cfg.model)
    model.init_weights()
    with pytest.warns(UserWarning, match='SyncBN'):
        train_segmentor(model, build_dataset(cfg.data.train), cfg)
    _, metrics, _ = run_test(cfg, str(tmp_path / 'latest.pth'), eval_metrics=['mDice'])
    assert 0 <= metrics['mDice'] <= 1


@pytest.mark.parametrize('name', ['fcn', 'pspnet', 'deeplabv3'])
def test_shipped_base_models_equal_the_user_copy(name):
    ours = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'models', f'{name}_unet_s5-d16.py'))
    theirs = Config.fromfile(osp.join(USER_CONFIGS, '_base_', 'models', f'{name}_unet_s5-d16.py'))
    assert ours.model.to_dict() == theirs.model.to_dict()
