"""mmseg.apis.train: model wrapping for the device at hand and the SyncBN fallback."""
import warnings

import pytest
import torch
from torch import nn

from mmcv.config import Config
from mmcv.parallel import MMDataParallel
from mmseg.apis.train import has_sync_batchnorm, revert_sync_batchnorm, wrap_model


def _net_with_syncbn() -> nn.Module:
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.SyncBatchNorm(4), nn.Sequential(nn.SyncBatchNorm(4)))
    with torch.no_grad():
        net[1].weight.fill_(2.0)
        net[1].running_mean.fill_(0.5)
    return net


def test_revert_sync_batchnorm_keeps_state():
    net = _net_with_syncbn()
    reverted = revert_sync_batchnorm(net)
    assert not has_sync_batchnorm(reverted)
    assert isinstance(reverted[1], nn.BatchNorm2d) and isinstance(reverted[2][0], nn.BatchNorm2d)
    assert torch.equal(reverted[1].weight, torch.full((4,), 2.0))
    assert torch.equal(reverted[1].running_mean, torch.full((4,), 0.5))
    reverted.eval()
    assert reverted(torch.randn(1, 3, 8, 8)).shape == (1, 4, 6, 6)


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU fallback')
def test_wrap_model_falls_back_to_bn_with_warning_on_cpu():
    cfg = Config(dict(gpu_ids=[0], channels_last=True))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        wrapped = wrap_model(_net_with_syncbn(), cfg, distributed=False)
    assert any('SyncBN' in str(w.message) for w in caught)
    assert isinstance(wrapped, MMDataParallel)
    assert not has_sync_batchnorm(wrapped.module)
    assert next(wrapped.module.parameters()).device.type == 'cpu'
    assert wrapped.module[0].weight.is_contiguous(memory_format=torch.channels_last)
