import math

import pytest
import torch

from mmcv.checkpoint import load_checkpoint
from mmcv.runner import LossGuard

from .toy import ToyModel, make_loader, make_runner


def test_guard_names_the_iterations_since_the_last_check():
    guard = LossGuard()
    guard.update(torch.tensor(1.0))
    guard.check(5)
    guard.update(torch.tensor(2.0))
    guard.update(torch.tensor(float('inf')))
    with pytest.raises(FloatingPointError, match='between iterations 6 and 7'):
        guard.check(7)
    guard.check(8)  # the flag starts afresh after a check


def test_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(tmp_path):
    model = ToyModel(nan_from=11)
    runner = make_runner(tmp_path, model, max_iters=20)
    runner.register_training_hooks(None, dict(), dict(interval=4),
                                   dict(interval=5, hooks=[dict(type='TextLoggerHook')]))
    with pytest.raises(FloatingPointError, match='between iterations 11 and 12'):
        runner.run([make_loader()], [('train', 1)])
    assert not (tmp_path / 'iter_12.pth').exists()
    fresh = ToyModel()
    ckpt = load_checkpoint(fresh, str(tmp_path / 'latest.pth'), strict=True)
    assert ckpt['meta']['iter'] == 8
    assert all(torch.isfinite(p).all() for p in fresh.parameters())


def test_nan_loss_is_caught_at_a_log_point(tmp_path):
    runner = make_runner(tmp_path, ToyModel(nan_from=3), max_iters=20)
    runner.register_training_hooks(None, dict(), None, dict(interval=5, hooks=[dict(type='TextLoggerHook')]))
    with pytest.raises(FloatingPointError, match='between iterations 1 and 5'):
        runner.run([make_loader()], [('train', 1)])
    assert runner.iter == 4  # stopped in the hooks of iteration 5


def test_save_checkpoint_refuses_nan_weights(tmp_path):
    runner = make_runner(tmp_path)
    with torch.no_grad():
        runner.model.head.weight[0, 0] = math.nan
    with pytest.raises(FloatingPointError, match='NaN or Inf weights'):
        runner.save_checkpoint(str(tmp_path))
    assert list(tmp_path.iterdir()) == []
