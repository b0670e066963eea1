import math
import os

import pytest
import torch

from mmcv.checkpoint import load_checkpoint
from mmcv.runner import Hook, LossGuard

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
    message = r'iter_0.pth was not written: NaN or Inf values in 1 tensor\(s\): state_dict.head.weight'
    with pytest.raises(FloatingPointError, match=message):
        runner.save_checkpoint(str(tmp_path))
    assert list(tmp_path.iterdir()) == []


class InfRunningVarAt(Hook):
    """After the optimizer step of iteration ``n`` the BatchNorm running_var turns Inf (loss stays finite),
    as a huge learning rate does to real models."""

    def __init__(self, n: int):
        self.n = n

    def after_train_iter(self, runner):
        if runner.iter + 1 == self.n:
            runner.model.norm.running_var.fill_(math.inf)


def test_inf_buffer_stops_training_and_latest_stays_on_the_last_finite_checkpoint(tmp_path):
    runner = make_runner(tmp_path, max_iters=10)
    runner.register_training_hooks(None, dict(), dict(interval=1, max_keep_ckpts=1))
    runner.register_hook(InfRunningVarAt(3), 'ABOVE_NORMAL')  # after the optimizer, before the checkpoint
    with pytest.raises(FloatingPointError) as info:
        runner.run([make_loader()], [('train', 1)])
    message = str(info.value)
    assert 'after iteration 3' in message and 'iter_3.pth was not written' in message
    assert 'state_dict.norm.running_var' in message and str(tmp_path / 'iter_2.pth') in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ['iter_2.pth', 'latest.pth']
    assert os.readlink(tmp_path / 'latest.pth') == 'iter_2.pth'
    ckpt = load_checkpoint(ToyModel(), str(tmp_path / 'latest.pth'), strict=True)
    assert ckpt['meta']['iter'] == 2


def test_nan_optimizer_state_is_not_saved(tmp_path):
    runner = make_runner(tmp_path, max_iters=3)
    runner.register_training_hooks(None, dict(), dict(interval=3))
    runner.run([make_loader()], [('train', 1)])
    state = runner.optimizer.state[runner.model.head.weight]
    state['momentum_buffer'][0, 0] = math.nan
    with pytest.raises(FloatingPointError, match=r'optimizer\.state\.\d+\.momentum_buffer'):
        runner.save_checkpoint(str(tmp_path), filename_tmpl='later_{}.pth')
    assert not (tmp_path / 'later_3.pth').exists() and os.readlink(tmp_path / 'latest.pth') == 'iter_3.pth'


def test_guard_names_the_iterations_of_a_resumed_run(tmp_path):
    runner = make_runner(tmp_path, max_iters=10)
    runner.register_training_hooks(None, dict(), dict(interval=10))
    runner.run([make_loader()], [('train', 1)])
    resumed = make_runner(tmp_path, ToyModel(nan_from=3), max_iters=20)  # NaN from iteration 13
    resumed.register_training_hooks(None, dict(), None, dict(interval=5, hooks=[dict(type='TextLoggerHook')]))
    resumed.resume(str(tmp_path / 'latest.pth'))
    with pytest.raises(FloatingPointError, match='between iterations 11 and 15;'):
        resumed.run([make_loader()], [('train', 1)])


def test_guard_names_a_single_iteration():
    guard = LossGuard()
    guard.reset(4)
    guard.update(torch.tensor(math.nan))
    with pytest.raises(FloatingPointError, match='at iteration 4;'):
        guard.check(4)
