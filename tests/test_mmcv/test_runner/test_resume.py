import os.path as osp

import pytest
import torch

from mmcv.checkpoint import _load_checkpoint
from mmcv.runner import Hook

from .toy import ToyDataset, ToyModel, make_loader, make_runner, seed_all


class Interrupted(Exception):
    pass


class StopAt(Hook):
    """Simulates a crash after iteration ``n`` (1-based)."""

    def __init__(self, n: int):
        self.n = n

    def after_train_iter(self, runner):
        if runner.iter + 1 == self.n:
            raise Interrupted


@pytest.fixture
def deterministic():
    torch.use_deterministic_algorithms(True)
    yield
    torch.use_deterministic_algorithms(False)


def _train(work_dir, loader_seed, ckpt_interval, init_seed=0, stop_at=None, resume=False):
    seed_all(init_seed)
    model = ToyModel(dropout=0.3)
    runner = make_runner(work_dir, model, max_iters=20)
    runner.register_training_hooks(
        dict(policy='poly', power=0.9, min_lr=1e-4, by_epoch=False, warmup='linear', warmup_iters=5,
             warmup_ratio=0.1),
        optimizer_config=dict(grad_clip=dict(max_norm=1.0, norm_type=2)),
        checkpoint_config=dict(by_epoch=False, interval=ckpt_interval),
        log_config=dict(interval=5, hooks=[dict(type='TextLoggerHook', by_epoch=False)]))
    if stop_at is not None:
        runner.register_hook(StopAt(stop_at), 'LOWEST')
    if resume:
        runner.resume(osp.join(work_dir, 'latest.pth'))
    loader = make_loader(ToyDataset(11), batch_size=4, seed=loader_seed)
    runner.run([loader], [('train', 1)])
    return model, runner


@pytest.mark.parametrize('loader_seed', [0, None], ids=['generator', 'global-rng'])
@pytest.mark.parametrize('ckpt_interval', [5, 6], ids=['mid-pass', 'pass-end'])
def test_resumed_run_ends_with_the_same_weights(tmp_path, deterministic, loader_seed, ckpt_interval):
    """20 iterations straight == interrupted after 13, resumed from latest.pth, run to 20.

    Shuffled loader (3 batches a pass, so passes wrap), dropout, numpy noise in the dataset, poly lr
    with warmup, momentum and grad clipping all have to continue exactly.
    """
    straight, _ = _train(tmp_path / 'straight', loader_seed, ckpt_interval)
    work_dir = tmp_path / 'interrupted'
    with pytest.raises(Interrupted):
        _train(work_dir, loader_seed, ckpt_interval, stop_at=13)
    resumed, runner = _train(work_dir, loader_seed, ckpt_interval, init_seed=123, resume=True)
    assert runner.iter == 20
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name


def test_resume_restores_iteration_optimizer_and_meta(tmp_path):
    _train(tmp_path, 0, 5)
    ckpt = _load_checkpoint(str(tmp_path / 'latest.pth'))
    assert ckpt['meta']['iter'] == 20 and osp.realpath(tmp_path / 'latest.pth').endswith('iter_20.pth')
    fresh = make_runner(tmp_path, ToyModel(), max_iters=30)
    fresh.resume(str(tmp_path / 'iter_15.pth'))
    assert fresh.iter == 15
    saved = _load_checkpoint(str(tmp_path / 'iter_15.pth'))['optimizer']
    assert fresh.optimizer.state_dict()['param_groups'][0]['lr'] == saved['param_groups'][0]['lr']
    momentum = fresh.optimizer.state_dict()['state'][0]['momentum_buffer']
    assert torch.equal(momentum, saved['state'][0]['momentum_buffer'])


def test_resume_rejects_a_weights_only_file(tmp_path):
    model = ToyModel()
    torch.save(model.state_dict(), tmp_path / 'weights.pth')
    runner = make_runner(tmp_path, model)
    with pytest.raises(KeyError, match='not a training checkpoint'):
        runner.resume(str(tmp_path / 'weights.pth'))


class CpuScalerHook(Hook):
    """Stands in for the fp16 AmpOptimizerHook on CPU: provides a GradScaler to checkpoint."""

    def __init__(self, init_scale: float):
        self.init_scale = init_scale

    def before_run(self, runner):
        runner.grad_scaler = torch.amp.GradScaler('cpu', init_scale=self.init_scale)


def test_resume_restores_the_grad_scaler(tmp_path):
    runner = make_runner(tmp_path, max_iters=2)
    runner.register_training_hooks(None, dict(), dict(interval=2))
    runner.register_hook(CpuScalerHook(1024.))
    runner.run([make_loader()], [('train', 1)])
    resumed = make_runner(tmp_path, max_iters=3)
    resumed.register_training_hooks(None, dict())
    resumed.register_hook(CpuScalerHook(2.))
    resumed.resume(str(tmp_path / 'latest.pth'))
    resumed.run([make_loader()], [('train', 1)])
    assert resumed.grad_scaler.get_scale() == 1024.


def test_resume_stays_strict_and_refuses_nonfinite_weights(tmp_path):
    _train(tmp_path, 0, 10)
    ckpt = _load_checkpoint(str(tmp_path / 'iter_10.pth'))
    ckpt['state_dict']['extra.weight'] = torch.zeros(1)
    torch.save(ckpt, tmp_path / 'extra.pth')
    with pytest.raises(RuntimeError, match='unexpected keys: extra.weight'):
        make_runner(tmp_path, ToyModel()).resume(str(tmp_path / 'extra.pth'))
    del ckpt['state_dict']['extra.weight']
    ckpt['state_dict']['norm.running_mean'][0] = float('nan')
    torch.save(ckpt, tmp_path / 'nan.pth')
    with pytest.raises(FloatingPointError, match=r'nan\.pth: NaN or Inf .*norm\.running_mean'):
        make_runner(tmp_path, ToyModel()).resume(str(tmp_path / 'nan.pth'))


def _runner_with(work_dir, optimizer_cfg, max_iters=4, model=None):
    import logging

    from mmcv.runner import IterBasedRunner, build_optimizer
    model = model or ToyModel()
    return IterBasedRunner(model, build_optimizer(model, optimizer_cfg), work_dir=str(work_dir),
                           logger=logging.getLogger('mmcv.test'), max_iters=max_iters)


def _train_with(work_dir, optimizer_cfg, max_iters=2):
    runner = _runner_with(work_dir, optimizer_cfg, max_iters)
    runner.register_training_hooks(dict(policy='poly', power=0.9, min_lr=1e-4, by_epoch=False), dict(),
                                   dict(by_epoch=False, interval=max_iters))
    runner.run([make_loader()], [('train', 1)])
    return str(work_dir / 'latest.pth')


ADAMW = dict(type='AdamW', lr=1e-3, weight_decay=1e-2)
SGD = dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4)


def test_checkpoint_records_the_optimizer_class(tmp_path):
    ckpt = _load_checkpoint(_train_with(tmp_path, ADAMW))
    assert ckpt['meta']['optimizer_type'] == 'AdamW'


@pytest.mark.parametrize('recorded', [True, False], ids=['recorded', 'inferred-from-state'])
def test_resuming_adamw_as_sgd_names_both_optimizers(tmp_path, recorded):
    path = _train_with(tmp_path, ADAMW)
    if not recorded:  # a checkpoint from before the class was recorded
        ckpt = _load_checkpoint(path)
        del ckpt['meta']['optimizer_type']
        path = str(tmp_path / 'old.pth')
        torch.save(ckpt, path)
    with pytest.raises(TypeError, match=r'saved by AdamW.*builds SGD \(optimizer\.type\).*optimizer\.type=AdamW'):
        _runner_with(tmp_path, SGD).resume(path)


def test_resuming_with_the_same_optimizer_class_is_quiet(tmp_path, caplog):
    path = _train_with(tmp_path, ADAMW)
    with caplog.at_level('WARNING', logger='mmcv.test'):
        runner = _runner_with(tmp_path, ADAMW)
        runner.resume(path)
    assert not [r for r in caplog.records if r.levelname == 'WARNING']
    assert runner.iter == 2


def test_resuming_warns_that_the_checkpoint_settings_win_over_the_config(tmp_path, caplog):
    """--resume-from with --cfg-options optimizer.lr=0.5: the saved lr continues, and the log says so."""
    path = _train_with(tmp_path, SGD)
    with caplog.at_level('INFO', logger='mmcv.test'):
        runner = _runner_with(tmp_path, dict(SGD, lr=0.5, momentum=0.5), max_iters=4)
        runner.register_training_hooks(dict(policy='poly', power=0.9, min_lr=1e-4, by_epoch=False), dict())
        runner.resume(path)
    warning = [r.getMessage() for r in caplog.records if r.levelname == 'WARNING']
    assert len(warning) == 1, warning
    assert 'lr 0.5 (checkpoint 0.01)' in warning[0] and 'momentum 0.5 (checkpoint 0.9)' in warning[0]
    assert 'load_from=' in warning[0]
    assert any('restored weights, optimizer state and settings' in r.getMessage() for r in caplog.records)
    runner.run([make_loader()], [('train', 1)])
    assert runner.optimizer.param_groups[0]['initial_lr'] == 0.01  # the checkpoint's base lr won


def test_resuming_with_other_param_groups_is_refused(tmp_path):
    path = _train_with(tmp_path, SGD)
    cfg = dict(SGD, paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=0.1)}))
    with pytest.raises(ValueError, match='parameter groups'):
        _runner_with(tmp_path, cfg).resume(path)
