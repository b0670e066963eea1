import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, DistributedSampler

from mmcv.runner import IterLoader

from .toy import ToyDataset


class CountingDataset(ToyDataset):
    def __init__(self, size=11):
        super().__init__(size)
        self.loads = 0

    def __getitem__(self, idx):
        self.loads += 1
        return super().__getitem__(idx)


def _loader(kind, dataset):
    if kind == 'generator':
        return DataLoader(dataset, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(3))
    if kind == 'global-rng':
        return DataLoader(dataset, batch_size=4, shuffle=True)
    if kind == 'distributed':
        return DataLoader(dataset, batch_size=4, sampler=DistributedSampler(dataset, 1, 0, shuffle=True, seed=5))
    # a plain list of index lists as batch sampler: resumed by loading and dropping batches
    return DataLoader(dataset, batch_sampler=[[3, 1], [0, 2], [5, 4], [8, 6]])


def _ids(batch):
    return batch['img_metas']['idx'].tolist()


@pytest.mark.parametrize('kind', ['generator', 'global-rng', 'distributed', 'batch-list'])
@pytest.mark.parametrize('consumed', [2, 3, 7])
def test_resumed_loader_continues_with_the_same_batches(kind, consumed):
    torch.manual_seed(0)
    np.random.seed(0)
    original = IterLoader(_loader(kind, ToyDataset()))
    for _ in range(consumed):
        next(original)
    state = original.state_dict()
    rng = (torch.get_rng_state(), np.random.get_state())
    expected = [next(original) for _ in range(5)]

    torch.manual_seed(99)  # the new process starts elsewhere; the checkpoint restores the RNG
    dataset = CountingDataset()
    resumed = IterLoader(_loader(kind, dataset))
    resumed.load_state_dict(state)
    torch.set_rng_state(rng[0])
    np.random.set_state(rng[1])
    got = [next(resumed) for _ in range(5)]
    assert [_ids(b) for b in got] == [_ids(b) for b in expected]
    for a, b in zip(got, expected):  # the numpy "augmentation" noise matches too
        assert torch.equal(a['img'], b['img'])
    assert resumed.epoch == original.epoch
    if kind != 'batch-list':  # skipping by index loads nothing it does not return
        assert dataset.loads == sum(len(_ids(b)) for b in got)


@pytest.mark.parametrize('seed', [1, None], ids=['generator', 'global-rng'])
def test_resumed_loader_with_persistent_workers_continues_the_order(seed):
    def loader():
        generator = None if seed is None else torch.Generator().manual_seed(seed)
        return DataLoader(ToyDataset(), batch_size=4, shuffle=True, num_workers=2, persistent_workers=True,
                          generator=generator)

    torch.manual_seed(0)
    original = IterLoader(loader())
    for _ in range(4):  # into the second pass, whose order persistent workers draw differently
        next(original)
    state, rng = original.state_dict(), torch.get_rng_state()
    expected = [_ids(next(original)) for _ in range(4)]
    torch.manual_seed(7)
    resumed = IterLoader(loader())
    resumed.load_state_dict(state)
    torch.set_rng_state(rng)
    assert [_ids(next(resumed)) for _ in range(4)] == expected


def test_each_pass_is_an_epoch_and_calls_set_epoch():
    dataset = ToyDataset(8)
    sampler = DistributedSampler(dataset, 1, 0, shuffle=True, seed=0)
    loader = IterLoader(DataLoader(dataset, batch_size=4, sampler=sampler))
    orders = []
    for _ in range(3):
        orders.append(_ids(next(loader)) + _ids(next(loader)))
        assert sampler.epoch == loader.epoch
    next(loader)
    assert loader.epoch == 3
    assert orders[0] != orders[1] and sorted(orders[0]) == sorted(orders[1]) == list(range(8))


def test_the_data_loader_still_gives_full_passes_outside_the_runner():
    data_loader = DataLoader(ToyDataset(8), batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(0))
    loader = IterLoader(data_loader)
    next(loader)
    resumed = IterLoader(data_loader)
    resumed.load_state_dict(loader.state_dict())
    next(resumed)
    assert sorted(i for batch in data_loader for i in _ids(batch)) == list(range(8))
