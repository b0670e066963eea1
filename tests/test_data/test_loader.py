import logging
import os
import random
import warnings

import numpy as np
import pytest
import torch
from torch.utils.data import Dataset

from mmseg.datasets import DistributedSampler, build_dataloader, collate, worker_init_fn


class Range(Dataset):

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, idx):
        return dict(img=torch.full((3, 4, 4), float(idx)), gt_semantic_seg=torch.zeros(1, 4, 4, dtype=torch.long),
                    img_metas=dict(idx=idx))


class WorkerRandom(Dataset):
    """Returns the numpy/random/torch draws of the worker that loads the sample."""

    def __len__(self):
        return 8

    def __getitem__(self, idx):
        return dict(draws=torch.tensor([np.random.randint(1 << 30), random.randint(0, 1 << 30),
                                        int(torch.randint(1 << 30, (1,)))]))


def test_sampler_seeded_order_per_epoch():
    dataset = Range(10)
    first = list(DistributedSampler(dataset, 1, 0, shuffle=True, seed=7))
    assert sorted(first) == list(range(10)) and first != list(range(10))
    assert list(DistributedSampler(dataset, 1, 0, shuffle=True, seed=7)) == first
    sampler = DistributedSampler(dataset, 1, 0, shuffle=True, seed=7)
    sampler.set_epoch(1)
    assert list(sampler) != first and sorted(sampler) == list(range(10))
    assert list(DistributedSampler(dataset, 1, 0, shuffle=False)) == list(range(10))


def test_sampler_ranks_split_the_same_order_and_pad():
    dataset = Range(10)
    shares = [list(DistributedSampler(dataset, 3, rank, shuffle=True, seed=1)) for rank in range(3)]
    assert [len(s) for s in shares] == [4, 4, 4]
    order = list(DistributedSampler(dataset, 1, 0, shuffle=True, seed=1))
    interleaved = [shares[i % 3][i // 3] for i in range(12)]
    assert interleaved[:10] == order and interleaved[10:] == order[:2]
    with pytest.raises(ValueError, match='rank'):
        DistributedSampler(dataset, 2, 2)


def test_sampler_resumes_within_an_epoch():
    dataset = Range(10)
    full = list(DistributedSampler(dataset, 1, 0, seed=3))
    sampler = DistributedSampler(dataset, 1, 0, seed=3)
    sampler.set_start(6)
    assert len(sampler) == 4 and list(sampler) == full[6:]
    assert list(sampler) == full  # only the next pass is shortened


def test_worker_init_fn_seeds_all_generators_by_rank_and_worker():
    draws = {}
    for rank, worker in [(0, 0), (0, 1), (1, 0), (0, 0)]:
        worker_init_fn(worker, num_workers=2, rank=rank, seed=5)
        draws.setdefault((rank, worker), []).append((np.random.rand(), random.random(), torch.rand(1).item()))
    assert draws[(0, 0)][0] == draws[(0, 0)][1]
    assert len({d[0] for d in draws.values()}) == 3


def test_train_batch_shapes_and_seeded_shuffle():
    loader = build_dataloader(Range(10), samples_per_gpu=4, workers_per_gpu=0, dist=False, seed=3, drop_last=True)
    batches = list(loader)
    assert len(batches) == 2
    batch = batches[0]
    assert batch['img'].shape == (4, 3, 4, 4) and batch['img'].dtype == torch.float32
    assert batch['gt_semantic_seg'].shape == (4, 1, 4, 4) and batch['gt_semantic_seg'].dtype == torch.long
    assert isinstance(batch['img_metas'], list) and len(batch['img_metas']) == 4
    assert [m['idx'] for m in batch['img_metas']] == batch['img'][:, 0, 0, 0].long().tolist()
    again = build_dataloader(Range(10), samples_per_gpu=4, workers_per_gpu=0, dist=False, seed=3)
    assert [m['idx'] for m in next(iter(again))['img_metas']] == [m['idx'] for m in batch['img_metas']]
    assert not loader.pin_memory or torch.cuda.is_available()


def test_test_batch_keeps_one_entry_per_augmentation():
    samples = [dict(img=[torch.zeros(3, 5, 6), torch.ones(3, 10, 12)], img_metas=[dict(a=1), dict(a=2)])]
    batch = collate(samples)
    assert [t.shape for t in batch['img']] == [(1, 3, 5, 6), (1, 3, 10, 12)]
    assert batch['img_metas'] == [[dict(a=1)], [dict(a=2)]]
    loader = build_dataloader(Range(3), samples_per_gpu=1, workers_per_gpu=0, dist=False, shuffle=False)
    assert loader.sampler.__class__.__name__ == 'SequentialSampler'
    assert [b['img_metas'][0]['idx'] for b in loader] == [0, 1, 2]


def test_collate_pads_different_sizes():
    batch = collate([dict(img=torch.ones(3, 2, 3), gt_semantic_seg=torch.zeros(1, 2, 3, dtype=torch.long)),
                     dict(img=torch.ones(3, 4, 2), gt_semantic_seg=torch.zeros(1, 4, 2, dtype=torch.long))])
    assert batch['img'].shape == (2, 3, 4, 3) and batch['img'][0, :, 2:].abs().sum() == 0
    assert batch['gt_semantic_seg'][0, 0, 3, 0] == 255 and batch['gt_semantic_seg'][1, 0, 0, 2] == 255
    with pytest.raises(KeyError, match='different keys'):
        collate([dict(img=torch.ones(1)), dict(gt=torch.ones(1))])


def test_workers_are_seeded_distinctly_and_reproducibly():
    def draws():
        loader = build_dataloader(WorkerRandom(), samples_per_gpu=1, workers_per_gpu=2, dist=False, shuffle=False,
                                  seed=11, persistent_workers=False)
        return [b['draws'][0].tolist() for b in loader]

    first = draws()
    assert first == draws()
    assert first[0] != first[1]  # samples 0 and 1 come from different workers
    loader = build_dataloader(WorkerRandom(), samples_per_gpu=1, workers_per_gpu=2, dist=False, seed=11)
    assert loader.persistent_workers


def test_distributed_loader_uses_rank_share(monkeypatch):
    import mmseg.datasets.builder as builder
    monkeypatch.setattr(builder, 'get_dist_info', lambda: (1, 2))
    monkeypatch.setattr(builder, 'sync_random_seed', lambda seed, device='cpu': 0 if seed is None else seed)
    loader = build_dataloader(Range(5), samples_per_gpu=2, workers_per_gpu=0, dist=True, shuffle=False)
    assert [m['idx'] for b in loader for m in b['img_metas']] == [1, 3, 0]
    assert isinstance(loader.sampler, DistributedSampler) and loader.batch_size == 2


@pytest.fixture
def two_cpus(monkeypatch):
    """This process may run on 2 CPUs (what torch's oversubscription warning also reads)."""
    monkeypatch.setattr(os, 'sched_getaffinity', lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(os, 'cpu_count', lambda: 2)
    monkeypatch.delenv('LOCAL_WORLD_SIZE', raising=False)


def test_workers_are_capped_at_the_cpus_without_torchs_warning(two_cpus, caplog):
    with warnings.catch_warnings(), caplog.at_level(logging.INFO, logger='mmseg'):
        warnings.simplefilter('error')  # torch warns when a loader has more workers than CPUs
        loader = build_dataloader(Range(8), samples_per_gpu=2, workers_per_gpu=4, dist=False, seed=1)
    assert loader.num_workers == 2
    assert 'data loader workers: 2 (capped from 4: 2 CPUs available)' in caplog.text


def test_workers_within_the_cpus_are_kept_and_logged(two_cpus, caplog):
    with caplog.at_level(logging.INFO, logger='mmseg'):
        assert build_dataloader(Range(8), samples_per_gpu=2, workers_per_gpu=1, dist=False).num_workers == 1
        assert build_dataloader(Range(8), samples_per_gpu=2, workers_per_gpu=0, dist=False).num_workers == 0
    assert 'data loader workers: 1\n' in caplog.text + '\n'
    assert 'data loader workers: 0 (loading in the main process)' in caplog.text


def test_local_ranks_share_the_cpus(two_cpus, monkeypatch, caplog):
    import mmseg.datasets.builder as builder
    monkeypatch.setattr(builder, 'get_dist_info', lambda: (1, 2))
    monkeypatch.setattr(builder, 'sync_random_seed', lambda seed, device='cpu': 0 if seed is None else seed)
    monkeypatch.setenv('LOCAL_WORLD_SIZE', '2')
    with caplog.at_level(logging.INFO, logger='mmseg'):
        loader = build_dataloader(Range(8), samples_per_gpu=2, workers_per_gpu=4, dist=True)
    assert loader.num_workers == 1
    assert 'capped from 4: 2 CPUs available, shared by 2 processes on this machine' in caplog.text
