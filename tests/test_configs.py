"""Every shipped config (configs/**, not _base_) loads, builds its model and datasets, and takes a training step.

Each dataset's data root is pointed at a small synthetic tree of its set (DRIVE through its converter, the
other retinal sets as fake trees in the converters' layout), so a broken pipeline entry, an unknown key or a
model option that does not fit the head fails here rather than ten minutes into a user's run.
"""
import glob
import os.path as osp

import pytest
import torch

from mmcv import Config
from mmseg.datasets import build_dataset
from mmseg.datasets.collate import collate
from mmseg.models import build_segmentor
from retinal_fakes import DATASET_TYPES, dataset_configs

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
                 if f'{osp.sep}_base_{osp.sep}' not in p)


@pytest.fixture(scope='module')
def synthetic_root(synthetic_drive) -> str:
    return synthetic_drive(num_train=2, num_test=1, size=(120, 110), seed=3)


def test_configs_are_found():
    names = {osp.basename(p) for p in CONFIGS}
    assert 'unet++_r34_40k_drive.py' in names and 'unet++_r34_4k_drive_cpu_base.py' in names
    assert {f'{head}_unet_s5-d16{loss}_64x64_40k_drive.py' for head in ('fcn', 'pspnet', 'deeplabv3')
            for loss in ('', '_ce-1.0-dice-3.0')} <= names


def test_comparison_contestants_differ_only_in_the_model():
    paths = sorted(glob.glob(osp.join(ROOT, 'configs', 'unet++', 'comparison', '*.py')))
    assert len(paths) == 4
    dumps = []
    for path in paths:
        cfg = Config.fromfile(path)
        assert cfg.runner.max_iters == 1000 and cfg.optimizer.type == 'AdamW' and cfg.data.samples_per_gpu == 4
        dumps.append({key: value for key, value in cfg._cfg_dict.to_dict().items()
                      if key not in ('model', 'norm_cfg', 'base_channels')})
    assert all(d == dumps[0] for d in dumps[1:])


@pytest.mark.slow
def test_pruned_unetpp_is_a_test_time_option_of_the_ds_comparison_model(synthetic_root, tmp_path, monkeypatch):
    import importlib.util
    from mmcv.checkpoint import save_checkpoint
    from mmseg.models import UNetPlusPlusHead
    levels = []
    pruned = UNetPlusPlusHead.forward_pruned
    monkeypatch.setattr(UNetPlusPlusHead, 'forward_pruned',
                        lambda self, feats, img, level: levels.append(level) or pruned(self, feats, img, level))
    path = osp.join(ROOT, 'configs', 'unet++', 'comparison', 'unet++_r34_ds_1k_drive_cpu.py')
    torch.manual_seed(0)
    model = build_segmentor(Config.fromfile(path).model)
    save_checkpoint(model, str(tmp_path / 'ds.pth'))
    spec = importlib.util.spec_from_file_location('tools_test', osp.join(ROOT, 'tools', 'test.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tool.main([path, str(tmp_path / 'ds.pth'), '--eval', 'mDice', '--work-dir', str(tmp_path), '--cfg-options',
               f'data.test.data_root={synthetic_root}', 'data.test.pipeline.1.img_scale=(128,128)',
               'data.workers_per_gpu=0', 'model.test_cfg.test_mode=fast', 'model.test_cfg.prune_level=2'])
    assert glob.glob(str(tmp_path / 'eval_*.json')) and levels and set(levels) == {2}


@pytest.mark.slow
@pytest.mark.parametrize('path', CONFIGS, ids=[osp.relpath(p, osp.join(ROOT, 'configs')) for p in CONFIGS])
def test_config_builds_and_trains_one_step(path, synthetic_root, retinal_tree):
    cfg = Config.fromfile(path)
    for dataset_cfg in dataset_configs(cfg.data.train) + dataset_configs(cfg.data.val):
        name = DATASET_TYPES[dataset_cfg.type]
        dataset_cfg.data_root = synthetic_root if name == 'DRIVE' else retinal_tree(name, size=(120, 110))
    train_set, val_set = build_dataset(cfg.data.train), build_dataset(cfg.data.val)
    assert len(val_set) == 1
    val_img = val_set[0]['img'][0]  # the test pipeline's first (or only) augmented view
    assert val_img.dim() == 3 and val_img.shape[0] == 3

    torch.manual_seed(0)
    batch = collate([train_set[0], train_set[1]])
    crop = tuple(cfg.crop_size) if 'crop_size' in cfg else (64, 64)
    assert tuple(batch['img'].shape[-2:]) == crop and tuple(batch['gt_semantic_seg'].shape[-2:]) == crop

    model_cfg = cfg.model.copy()
    model_cfg.train_cfg = dict()  # CUDA-graph steps (GPU configs) need a GPU; the eager step is checked here
    model = build_segmentor(model_cfg, train_cfg=cfg.get('train_cfg'), test_cfg=cfg.get('test_cfg'))
    model.init_weights()
    model.train()
    out = model.train_step(batch)
    assert torch.isfinite(out['loss']) and out['loss'].item() > 0
    out['loss'].backward()
    assert all(p.grad is not None for p in model.decode_head.parameters() if p.requires_grad)
