"""Samplers: each rank sees its share of a seeded, per-epoch order that can be resumed mid-epoch."""
import math
from typing import Iterator, Optional, Sized

import torch
from torch.utils.data import Sampler

from mmcv.dist import get_dist_info


class DistributedSampler(Sampler):
    """Split a dataset over ``num_replicas`` ranks; rank r gets samples r, r+W, r+2W, ... of the order.

    The order is a permutation drawn from ``seed + epoch`` when ``shuffle`` (the same on every rank,
    so shares never overlap), else the dataset order. It is padded by repeating its start so each
    rank gets ``ceil(len / W)`` samples (``collect_results_*`` drop the padding again).

    Iteration-based training calls :meth:`set_epoch` whenever the loader runs out, and
    :meth:`set_start` after resuming at iteration ``i`` (``start = i * samples_per_gpu``) so that the
    next pass continues the interrupted epoch instead of repeating its beginning.
    """

    def __init__(self, dataset: Sized, num_replicas: Optional[int] = None, rank: Optional[int] = None,
                 shuffle: bool = True, seed: int = 0):
        if num_replicas is None or rank is None:
            dist_rank, dist_world = get_dist_info()
            num_replicas = dist_world if num_replicas is None else num_replicas
            rank = dist_rank if rank is None else rank
        if not 0 <= rank < num_replicas:
            raise ValueError(f'rank must be in [0, {num_replicas}), got {rank}')
        if len(dataset) == 0:
            raise ValueError(f'cannot sample from an empty dataset ({type(dataset).__name__})')
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.shuffle = shuffle
        self.seed = int(seed)
        self.epoch = 0
        self.start = 0
        self.num_samples = math.ceil(len(dataset) / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def _order(self) -> list:
        if self.shuffle:
            generator = torch.Generator()
            generator.manual_seed(self.seed + self.epoch)
            indices = torch.randperm(len(self.dataset), generator=generator).tolist()
        else:
            indices = list(range(len(self.dataset)))
        repeats = math.ceil(self.total_size / len(indices))
        return (indices * repeats)[:self.total_size]

    def __iter__(self) -> Iterator[int]:
        share = self._order()[self.rank:self.total_size:self.num_replicas]
        start, self.start = self.start, 0
        return iter(share[start:])

    def __len__(self) -> int:
        return self.num_samples - self.start

    def set_epoch(self, epoch: int) -> None:
        """Use the order of ``epoch`` from the next iteration on."""
        self.epoch = epoch

    def set_start(self, start: int) -> None:
        """Skip the first ``start`` samples of this rank's share in the next pass only."""
        if not 0 <= start <= self.num_samples:
            raise ValueError(f'start must be in [0, {self.num_samples}], got {start}')
        self.start = start

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_samples={self.num_samples}, num_replicas={self.num_replicas}, '
                f'rank={self.rank}, shuffle={self.shuffle}, seed={self.seed}, epoch={self.epoch})')
