"""Registries of datasets and transforms, and the data loaders built from them."""
import os
import random
from functools import partial
from typing import Any, Optional

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from mmcv.dist import get_dist_info, sync_random_seed
from mmcv.logging import print_log
from mmcv.registry import Registry, build_from_cfg

from .collate import collate
from .samplers import DistributedSampler

DATASETS = Registry('dataset')
PIPELINES = Registry('pipeline')


def build_dataset(cfg: dict, default_args: Optional[dict] = None) -> Dataset:
    """Build a dataset from its config; ``RepeatDataset`` wraps the dataset built from ``cfg['dataset']``."""
    from .dataset_wrappers import RepeatDataset
    if cfg.get('type') == 'RepeatDataset':
        if 'dataset' not in cfg or 'times' not in cfg:
            raise KeyError(f'RepeatDataset needs the keys "dataset" and "times", got {sorted(cfg)}')
        return RepeatDataset(build_dataset(cfg['dataset'], default_args), cfg['times'])
    return build_from_cfg(cfg, DATASETS, default_args)


def worker_init_fn(worker_id: int, num_workers: int, rank: int, seed: int) -> None:
    """Seed numpy, random and torch of one loader worker: distinct per (rank, worker), fixed by ``seed``."""
    worker_seed = num_workers * rank + worker_id + seed
    np.random.seed(worker_seed % 2**32)
    random.seed(worker_seed)
    torch.manual_seed(worker_seed)


def available_cpus() -> int:
    """CPUs this process may run on (its affinity set where the OS tells, else all of them)."""
    if hasattr(os, 'sched_getaffinity'):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def cap_workers(requested: int, dist: bool) -> int:
    """``requested`` loader workers, at most the CPUs this process has (shared by the local ranks when
    ``dist``: torchrun's ``LOCAL_WORLD_SIZE``); logs the number used and, when capped, from what.

    More workers than CPUs do not load faster; they compete with training for the same cores.
    """
    cpus = available_cpus()
    local_ranks = max(1, int(os.environ.get('LOCAL_WORLD_SIZE', 1))) if dist else 1
    used = min(requested, max(1, cpus // local_ranks)) if requested > 0 else 0
    note = ' (loading in the main process)' if used == 0 else ''
    if used < requested:
        shared = f', shared by {local_ranks} processes on this machine' if local_ranks > 1 else ''
        note = f' (capped from {requested}: {cpus} CPUs available{shared})'
    print_log(f'data loader workers: {used}{note}', logger='mmseg')
    return used


def build_dataloader(dataset: Dataset, samples_per_gpu: int, workers_per_gpu: int, num_gpus: int = 1,
                     dist: bool = True, shuffle: bool = True, seed: Optional[int] = None,
                     drop_last: bool = False, pin_memory: bool = True, persistent_workers: bool = True,
                     **kwargs: Any) -> DataLoader:
    """A DataLoader for one process: its rank's share when ``dist``, else batches of all GPUs.

    Shuffled orders come from a :class:`DistributedSampler` seeded with ``seed`` (drawn on rank 0 and
    shared when None), so they are reproducible and resumable; workers are seeded per rank and
    worker from ``seed``, and capped at the CPUs available (:func:`cap_workers`). Memory is pinned
    only when CUDA is available, and workers persist across epochs when there are any.
    """
    rank, world_size = get_dist_info()
    if dist:
        batch_size, num_workers = samples_per_gpu, workers_per_gpu
    else:
        batch_size, num_workers = num_gpus * samples_per_gpu, num_gpus * workers_per_gpu
        rank, world_size = 0, 1
    num_workers = cap_workers(num_workers, dist)
    sampler = None
    if shuffle or dist:
        sampler_seed = sync_random_seed(seed, device='cuda' if torch.cuda.is_available() else 'cpu')
        sampler = DistributedSampler(dataset, world_size, rank, shuffle=shuffle, seed=sampler_seed)
    init_fn = partial(worker_init_fn, num_workers=num_workers, rank=rank, seed=seed) if seed is not None else None
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=num_workers,
                      collate_fn=collate, pin_memory=pin_memory and torch.cuda.is_available(),
                      shuffle=False, worker_init_fn=init_fn, drop_last=drop_last,
                      persistent_workers=persistent_workers and num_workers > 0, **kwargs)
