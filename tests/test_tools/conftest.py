"""Fixtures of the tool tests: a tiny DRIVE-format dataset and a small UNet++ config reading it."""
import importlib.util
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
IMAGE_SIZE = 64  # synthetic fundus images are IMAGE_SIZE x IMAGE_SIZE

# The real DRIVE config with a narrow decoder, ResNet-18, 32x32 crops and whole-image inference.
TINY_CONFIG = """
_base_ = '{base}'
img_norm_cfg = _base_.img_norm_cfg
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomCrop', crop_size=(32, 32)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Normalize', **img_norm_cfg),
    dict(type='DefaultFormatBundle'),
    dict(type='Collect', keys=['img', 'gt_semantic_seg']),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiScaleFlipAug', img_scale=({size}, {size}), flip=False, transforms=[
        dict(type='Resize', keep_ratio=True),
        dict(type='RandomFlip'),
        dict(type='Normalize', **img_norm_cfg),
        dict(type='ImageToTensor', keys=['img']),
        dict(type='Collect', keys=['img']),
    ]),
]
model = dict(
    backbone=dict(depth=18),
    decode_head=dict(channels=[8, 8, 8, 8, 8]),
    test_cfg=dict(_delete_=True, mode='whole'))
data = dict(
    samples_per_gpu=2,
    workers_per_gpu=0,
    train=dict(times=10, dataset=dict(data_root='{data_root}', pipeline=train_pipeline)),
    val=dict(data_root='{data_root}', pipeline=test_pipeline),
    test=dict(data_root='{data_root}', pipeline=test_pipeline))
"""


@pytest.fixture(scope='session')
def tiny_drive(synthetic_drive) -> str:
    """data_root of a converted synthetic DRIVE set: 2 training and 2 validation images."""
    return synthetic_drive(num_train=2, num_test=2, size=(IMAGE_SIZE, IMAGE_SIZE))


@pytest.fixture(scope='session')
def tiny_config(tiny_drive, tmp_path_factory) -> str:
    """Path of a config file: the project's DRIVE UNet++ recipe shrunk to run in a second on CPU."""
    path = tmp_path_factory.mktemp('configs') / 'tiny_unetpp_drive.py'
    base = osp.join(ROOT, 'configs', 'unet++', 'unet++_r34_40k_drive.py')
    path.write_text(TINY_CONFIG.format(base=base, data_root=tiny_drive, size=IMAGE_SIZE))
    return str(path)


@pytest.fixture(scope='session')
def tiny_checkpoint(tiny_config, tmp_path_factory) -> str:
    """A checkpoint of the tiny config's model (random weights, DRIVE's classes and palette in meta)."""
    import torch

    from mmcv.checkpoint import save_checkpoint
    from mmcv.config import Config
    from mmseg.datasets import DRIVEDataset
    from mmseg.models import build_segmentor
    torch.manual_seed(0)
    model = build_segmentor(Config.fromfile(tiny_config).model)
    path = str(tmp_path_factory.mktemp('ckpt') / 'tiny.pth')
    save_checkpoint(model, path, meta=dict(CLASSES=DRIVEDataset.CLASSES, PALETTE=DRIVEDataset.PALETTE))
    return path


@pytest.fixture
def load_tool():
    """A function returning the module tools/<name>.py (tools/ is a folder of scripts, not a package)."""
    def load(name: str):
        spec = importlib.util.spec_from_file_location(f'tools_{name}', osp.join(ROOT, 'tools', f'{name}.py'))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return load


@pytest.fixture
def cli_state(monkeypatch):
    """Undo what running a tool's main() in-process leaves behind: LOCAL_RANK and torch's determinism flags."""
    import torch
    monkeypatch.setenv('LOCAL_RANK', '0')
    monkeypatch.delenv('LOCAL_RANK')  # absent, as for a plain `python tools/x.py`; restored after the test
    flags = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
             torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)
    yield
    torch.use_deterministic_algorithms(flags[0], warn_only=flags[1])
    torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = flags[2], flags[3]
