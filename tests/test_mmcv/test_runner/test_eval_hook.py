import os

import pytest
import torch

from mmcv.checkpoint import _load_checkpoint
from mmcv.runner import DistEvalHook, EvalHook

from .toy import ToyDataset, make_loader, make_runner


def _train_with(tmp_path, hook, max_iters):
    runner = make_runner(tmp_path, max_iters=max_iters)
    runner.register_training_hooks(None, dict())
    runner.register_hook(hook, 'LOW')
    runner.run([make_loader()], [('train', 1)])
    return runner


class RecordingTest:
    def __init__(self):
        self.iters = []
        self.training = []

    def __call__(self, model, data_loader, **kwargs):
        self.training.append(model.training)
        self.kwargs = kwargs
        torch.rand(3)  # consumes RNG: evaluation must not change the training stream
        return [0] * len(data_loader.dataset)


def test_evaluates_every_interval_and_at_the_end(tmp_path):
    dataset = ToyDataset()
    runner = _train_with(tmp_path, EvalHook(make_loader(dataset, shuffle=False), interval=3), max_iters=7)
    assert len(dataset.evaluated) == 3  # after iterations 3, 6 and 7
    assert len(dataset.evaluated[0]) == len(dataset)  # default test loop: one prediction per sample
    assert 'acc' in runner.log_buffer.output


def test_start_shifts_the_schedule(tmp_path):
    hook = EvalHook(make_loader(ToyDataset(), shuffle=False), start=4, interval=2)
    runner = make_runner(tmp_path, max_iters=9)
    runner.register_hook(hook)
    evaluated_at = []
    hook.evaluate = lambda r: evaluated_at.append(r.iter + 1)
    runner.run([make_loader()], [('train', 1)])
    assert evaluated_at == [4, 6, 8, 9]


def test_save_best_keeps_one_file_of_the_best_score(tmp_path):
    dataset = ToyDataset(scores=[0.5, 0.7, 0.6, 0.8])
    hook = EvalHook(make_loader(dataset, shuffle=False), interval=2, save_best='mDice', metric='mDice')
    runner = _train_with(tmp_path, hook, max_iters=8)
    best = [name for name in os.listdir(tmp_path) if name.startswith('best')]
    assert best == ['best_mDice_iter_8.pth']
    assert runner.meta['hook_msgs']['best_score'] == 0.8
    assert runner.meta['hook_msgs']['best_ckpt'] == str(tmp_path / 'best_mDice_iter_8.pth')
    assert _load_checkpoint(str(tmp_path / 'best_mDice_iter_8.pth'))['meta']['iter'] == 8


def test_save_best_with_a_lower_is_better_metric_and_auto(tmp_path):
    dataset = ToyDataset(scores=[0.5, 0.7, 0.6])
    hook = EvalHook(make_loader(dataset, shuffle=False), interval=2, save_best='auto', rule='less')
    _train_with(tmp_path, hook, max_iters=6)
    assert [name for name in os.listdir(tmp_path) if name.startswith('best')] == ['best_mDice_iter_2.pth']


def test_rule_is_inferred_from_the_metric_name():
    loader = make_loader(ToyDataset(), shuffle=False)
    for key, rule in [('mDice', 'greater'), ('mIoU', 'greater'), ('aAcc', 'greater'), ('fov.AUC', 'greater'),
                      ('val_loss', 'less')]:
        assert EvalHook(loader, save_best=key).rule == rule
    with pytest.raises(ValueError, match='rule="greater"'):
        EvalHook(loader, save_best='fov.Se')
    assert EvalHook(loader, save_best='fov.Se', rule='greater').rule == 'greater'


def test_evaluation_does_not_disturb_training_randomness(tmp_path):
    test_fn = RecordingTest()
    hook = EvalHook(make_loader(ToyDataset(), shuffle=False), interval=1, test_fn=test_fn)
    runner = make_runner(tmp_path, max_iters=1)
    runner.register_hook(hook)
    runner.run([make_loader()], [('train', 1)])  # a first run sets the hook up
    state = torch.get_rng_state()
    hook.evaluate(runner)
    assert torch.equal(torch.get_rng_state(), state)
    assert test_fn.kwargs == {}


def test_dist_eval_hook_passes_collection_options(tmp_path):
    test_fn = RecordingTest()
    hook = DistEvalHook(make_loader(ToyDataset(), shuffle=False), interval=2, test_fn=test_fn, gpu_collect=True)
    _train_with(tmp_path, hook, max_iters=2)
    assert test_fn.kwargs == {'tmpdir': str(tmp_path / '.eval_hook'), 'gpu_collect': True}


def test_invalid_settings_are_rejected():
    loader = make_loader(ToyDataset(), shuffle=False)
    with pytest.raises(ValueError, match='by_epoch=False'):
        EvalHook(loader, by_epoch=True)
    with pytest.raises(TypeError, match='evaluate'):
        EvalHook([1, 2, 3])
    with pytest.raises(ValueError, match='interval'):
        EvalHook(loader, interval=0)
