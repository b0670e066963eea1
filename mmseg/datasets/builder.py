"""Registries of datasets and transforms, and the data loaders built from them."""
import copy
import os
import random
from functools import partial
from typing import Any, List, Optional, Sequence, Union

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


def build_dataset(cfg: Union[dict, Sequence[dict]], default_args: Optional[dict] = None) -> Dataset:
    """Build a dataset from its config, with mmseg 0.x's wrappers and list forms.

    * a list of configs -> ``ConcatDataset`` of them (e.g. ``data.train=[dict(DRIVE...), dict(STARE...)]``);
    * ``type='RepeatDataset'`` wraps the dataset built from ``cfg['dataset']`` (itself possibly a list);
    * ``type='ConcatDataset'`` with ``datasets=[...]`` (and optional ``separate_eval``);
    * ``img_dir`` (or ``split``) given as a list -> one dataset per entry, the other keys shared, and
      ``ann_dir``/``fov_dir`` lists paired with it entry by entry.
    """
    from .dataset_wrappers import ConcatDataset, RepeatDataset
    if isinstance(cfg, (list, tuple)):
        return ConcatDataset([build_dataset(c, default_args) for c in cfg])
    if cfg.get('type') == 'RepeatDataset':
        if 'dataset' not in cfg or 'times' not in cfg:
            raise KeyError(f'RepeatDataset needs the keys "dataset" and "times", got {sorted(cfg)}')
        return RepeatDataset(build_dataset(cfg['dataset'], default_args), cfg['times'])
    if cfg.get('type') == 'ConcatDataset':
        if not isinstance(cfg.get('datasets'), (list, tuple)):
            raise KeyError(f'ConcatDataset needs "datasets", a list of dataset configs, got {sorted(cfg)}')
        return ConcatDataset([build_dataset(c, default_args) for c in cfg['datasets']],
                             cfg.get('separate_eval', True))
    if isinstance(cfg.get('img_dir'), (list, tuple)) or isinstance(cfg.get('split'), (list, tuple)):
        return ConcatDataset([build_dataset(c, default_args) for c in _split_dir_lists(cfg)],
                             cfg.get('separate_eval', True))
    return build_from_cfg(cfg, DATASETS, default_args)


_PAIRED_KEYS = ('img_dir', 'ann_dir', 'split', 'fov_dir')


def _split_dir_lists(cfg: dict) -> List[dict]:
    """One dataset config per entry of the list-valued ``img_dir``/``ann_dir``/``split``/``fov_dir``."""
    lengths = {key: len(cfg[key]) for key in _PAIRED_KEYS if isinstance(cfg.get(key), (list, tuple))}
    if len(set(lengths.values())) != 1:
        raise ValueError(f'dataset config of type {cfg.get("type")!r}: the lists {lengths} must have one '
                         'length (one entry per dataset), or give a single folder that all of them share')
    num = next(iter(lengths.values()))
    configs = []
    for i in range(num):
        one = copy.deepcopy({k: v for k, v in cfg.items() if k != 'separate_eval'})
        one.update((key, cfg[key][i]) for key in lengths)
        configs.append(one)
    return configs


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
