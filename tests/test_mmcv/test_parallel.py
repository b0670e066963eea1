import socket
from collections import OrderedDict

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F

from mmcv.dist import close_dist
from mmcv.parallel import MMDataParallel, MMDistributedDataParallel, is_module_wrapper, to_device, unwrap_model


class Seg(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 2, 3, padding=1)
        self.seen = None

    def forward(self, img, img_metas=None, return_loss=True, gt_semantic_seg=None):
        self.seen = dict(img=img, img_metas=img_metas, gt_semantic_seg=gt_semantic_seg)
        logits = self.conv(img)
        if return_loss:
            return {'loss_ce': F.cross_entropy(logits, gt_semantic_seg[:, 0])}
        return logits.argmax(1)

    def train_step(self, data_batch, optimizer=None):
        loss = self(**data_batch)['loss_ce']
        return {'loss': loss, 'log_vars': OrderedDict(loss=loss.detach()), 'num_samples': len(data_batch['img'])}

    def val_step(self, data_batch, optimizer=None):
        return self.train_step(data_batch)


def _batch(seed=0, size=2):
    gen = torch.Generator().manual_seed(seed)
    return {'img': torch.randn(size, 3, 6, 6, generator=gen),
            'gt_semantic_seg': torch.randint(0, 2, (size, 1, 6, 6), generator=gen),
            'img_metas': [{'filename': f'{i}.png'} for i in range(size)]}


def test_to_device_moves_tensors_and_leaves_img_metas():
    batch = _batch()
    batch['aug'] = [torch.zeros(1, 3, 2, 2), (torch.zeros(2),)]
    moved = to_device(batch, torch.device('meta'), channels_last=True)
    assert moved['img'].device.type == 'meta' and moved['aug'][0].device.type == 'meta'
    assert moved['aug'][1][0].device.type == 'meta' and isinstance(moved['aug'][1], tuple)
    assert moved['img_metas'] is batch['img_metas']
    assert moved['img'].is_contiguous(memory_format=torch.channels_last)
    assert moved['gt_semantic_seg'].is_contiguous()  # labels keep their layout


def test_mm_data_parallel_prepares_batches_for_the_module():
    model = Seg()
    wrapped = MMDataParallel(model, channels_last=True)
    batch = _batch()
    out = wrapped.train_step(batch, None)
    assert out['loss'].requires_grad and out['num_samples'] == 2
    assert model.seen['img'].is_contiguous(memory_format=torch.channels_last)
    assert model.seen['img_metas'] is batch['img_metas']
    assert wrapped(return_loss=False, **batch).shape == (2, 6, 6)
    assert list(wrapped.state_dict()) == ['module.conv.weight', 'module.conv.bias']
    with pytest.raises(ValueError, match='one device per process'):
        MMDataParallel(Seg(), device_ids=[0, 1])


class Compiled(nn.Module):
    """Holds the model the way torch.compile's OptimizedModule does (compiling imports take seconds)."""

    def __init__(self, model):
        super().__init__()
        self._orig_mod = model


def test_unwrap_model_sees_through_every_wrapper():
    model = Seg()
    for wrapped in (MMDataParallel(model), nn.DataParallel(MMDataParallel(model)), Compiled(MMDataParallel(model))):
        assert unwrap_model(wrapped) is model
    assert is_module_wrapper(MMDataParallel(model)) and not is_module_wrapper(model)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _ddp_worker(rank: int, port: int, world_size: int) -> None:
    torch.set_num_threads(1)
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=world_size)
    wrapped = None
    try:
        torch.manual_seed(rank)  # different initial weights: DDP must broadcast rank 0's
        model = Seg()
        wrapped = MMDistributedDataParallel(model)
        assert wrapped.module is model and unwrap_model(wrapped) is model
        assert list(wrapped.state_dict()) == ['module.conv.weight', 'module.conv.bias']
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
        for step in range(3):
            outputs = wrapped.train_step(_batch(seed=10 * step + rank), optimizer)  # different data per rank
            optimizer.zero_grad()
            outputs['loss'].backward()
            optimizer.step()
        flat = torch.cat([p.detach().flatten() for p in model.parameters()])
        gathered = [torch.empty_like(flat) for _ in range(world_size)]
        dist.all_gather(gathered, flat)
        assert torch.equal(gathered[0], gathered[1]), 'parameters differ across ranks'
        assert wrapped(return_loss=False, **_batch()).shape == (2, 6, 6)
    finally:
        del wrapped  # a DDP object freed after its process group aborts the process at exit
        close_dist()


@pytest.mark.slow
def test_ddp_keeps_parameters_identical_across_two_processes():
    mp.spawn(_ddp_worker, args=(_free_port(), 2), nprocs=2, join=True)
