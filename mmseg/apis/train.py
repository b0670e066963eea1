"""Build loaders, wrapper, optimizer, runner and hooks from a config, then train."""
import random
import warnings
from typing import Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn

from mmcv.dist import sync_random_seed
from mmcv.parallel import MMDataParallel, MMDistributedDataParallel, has_sync_batchnorm, revert_sync_batchnorm
from mmcv.runner import build_optimizer, build_runner
from mmseg.core.evaluation import DistEvalHook, EvalHook
from mmseg.datasets import build_dataloader, build_dataset
from mmseg.models.acceleration import accelerate_segmentor
from mmseg.utils.logger import get_root_logger
from mmseg.utils.provenance import provenance_record, provenance_text


def init_random_seed(seed: Optional[int] = None, device: str = 'cpu') -> int:
    """Return ``seed``, or a random one drawn on rank 0 and shared with every rank."""
    return sync_random_seed(seed, device=device)


def set_random_seed(seed: int, deterministic: bool = False) -> None:
    """Seed python, numpy and torch; ``deterministic`` also asks cuDNN/torch for reproducible kernels."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    if deterministic:
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        torch.use_deterministic_algorithms(True, warn_only=True)


def wrap_model(model: nn.Module, cfg, distributed: bool) -> nn.Module:
    """Put the model on its device (GPU ``cfg.gpu_ids[0]`` or CPU) inside the matching mmcv wrapper."""
    channels_last = bool(cfg.get('channels_last', False))
    if has_sync_batchnorm(model) and not (distributed and torch.cuda.is_available()):
        warnings.warn('SyncBN needs several CUDA processes; using BatchNorm2d instead')
        model = revert_sync_batchnorm(model)
    if torch.cuda.is_available():
        device = torch.cuda.current_device() if distributed else cfg.gpu_ids[0]
        model = model.cuda(device)
        device_ids = [device]
    else:
        device_ids = None
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    if distributed:
        return MMDistributedDataParallel(model, device_ids=device_ids, broadcast_buffers=False,
                                         find_unused_parameters=cfg.get('find_unused_parameters', False),
                                         channels_last=channels_last)
    return MMDataParallel(model, device_ids=device_ids, channels_last=channels_last)


def build_train_loaders(datasets: Sequence, cfg, distributed: bool) -> list:
    num_gpus = 1 if distributed else max(1, len(cfg.gpu_ids)) if torch.cuda.is_available() else 1
    loader_cfg = dict(samples_per_gpu=cfg.data.samples_per_gpu, workers_per_gpu=cfg.data.workers_per_gpu,
                      num_gpus=num_gpus, dist=distributed, seed=cfg.seed, drop_last=True)
    loader_cfg.update(cfg.data.get('train_dataloader', {}))
    return [build_dataloader(ds, **loader_cfg) for ds in datasets]


def build_eval_hook(cfg, distributed: bool):
    """The evaluation hook for ``cfg.data.val`` with the options of ``cfg.evaluation``."""
    val_dataset = build_dataset(cfg.data.val, dict(test_mode=True))
    loader_cfg = dict(samples_per_gpu=1, workers_per_gpu=cfg.data.workers_per_gpu, dist=distributed,
                      shuffle=False)
    loader_cfg.update(cfg.data.get('val_dataloader', {}))
    val_loader = build_dataloader(val_dataset, **loader_cfg)
    eval_cfg = dict(cfg.get('evaluation', {}))
    eval_cfg['by_epoch'] = cfg.runner['type'] != 'IterBasedRunner'
    hook_cls = DistEvalHook if distributed else EvalHook
    return hook_cls(val_loader, **eval_cfg)


def train_segmentor(model: nn.Module, dataset: Union[object, Sequence], cfg, distributed: bool = False,
                    validate: bool = False, timestamp: Optional[str] = None, meta: Optional[dict] = None):
    """Train ``model`` on ``dataset`` as ``cfg`` says; returns the finished runner.

    ``cfg.resume_from`` continues a run (the file must match the model exactly); otherwise
    ``cfg.load_from`` starts from its weights, which must cover the model unless
    ``cfg.load_from_partial`` is True. ``model.train_cfg`` compile / cuda_graph and ``model.test_cfg``
    compile (for validation) are applied here (:func:`accelerate_segmentor`).
    """
    logger = get_root_logger(log_level=cfg.log_level)
    meta = dict(meta or {})  # its provenance heads the text log and is the JSON log's first line
    meta.setdefault('provenance', provenance_record(cfg, work_dir=cfg.work_dir))
    logger.info(provenance_text(meta['provenance']))
    datasets = dataset if isinstance(dataset, (list, tuple)) else [dataset]
    data_loaders = build_train_loaders(datasets, cfg, distributed)
    model = wrap_model(accelerate_segmentor(model), cfg, distributed)
    optimizer = build_optimizer(model, cfg.optimizer)
    runner = build_runner(cfg.runner, default_args=dict(model=model, optimizer=optimizer, work_dir=cfg.work_dir,
                                                        logger=logger, meta=meta))
    runner.register_training_hooks(cfg.lr_config, cfg.optimizer_config, cfg.checkpoint_config, cfg.log_config,
                                   cfg.get('momentum_config', None),
                                   custom_hooks_config=cfg.get('custom_hooks', None))
    if timestamp is not None:
        runner.timestamp = timestamp
    if validate:
        runner.register_hook(build_eval_hook(cfg, distributed), priority='LOW')
    if cfg.resume_from:
        runner.resume(cfg.resume_from)
    elif cfg.load_from:
        runner.load_checkpoint(cfg.load_from, partial=bool(cfg.get('load_from_partial', False)))
    runner.run(data_loaders, cfg.workflow)
    return runner
