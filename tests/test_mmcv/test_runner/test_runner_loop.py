import copy

import pytest
import torch
import torch.nn as nn

from mmcv.runner import (AmpOptimizerHook, CheckpointHook, Hook, IterBasedRunner, IterTimerHook, OptimizerHook,
                         PolyLrUpdaterHook, Priority, TensorboardLoggerHook, TextLoggerHook, build_runner,
                         get_priority)

from .toy import ToyModel, make_loader, make_runner


class Named(Hook):
    def __init__(self, name):
        self.name = name


class StageRecorder(Hook):
    def __init__(self):
        self.calls = []

    def __getattribute__(self, name):
        if name in ('before_run', 'after_run', 'before_epoch', 'after_epoch', 'before_train_iter',
                    'after_train_iter', 'before_val_iter', 'after_val_iter'):
            object.__getattribute__(self, 'calls').append(name)
        return object.__getattribute__(self, name)


def test_priorities_by_name_or_value():
    assert get_priority('HIGHEST') == 0 and get_priority('very_low') == 90
    assert get_priority(Priority.LOW) == 70 and get_priority(42) == 42
    with pytest.raises(ValueError, match='unknown priority'):
        get_priority('URGENT')
    with pytest.raises(ValueError, match=r'\[0, 100\]'):
        get_priority(101)


def test_hooks_run_by_priority_then_registration_order(tmp_path):
    runner = make_runner(tmp_path)
    for name, priority in [('a', 'LOW'), ('b', 'HIGH'), ('c', 'LOW'), ('d', 10), ('e', 'NORMAL')]:
        runner.register_hook(Named(name), priority)
    assert [h.name for h in runner.hooks] == ['d', 'b', 'e', 'a', 'c']
    with pytest.raises(ValueError, match='already registered'):
        runner.register_hook(runner.hooks[0])
    with pytest.raises(TypeError, match='Hook'):
        runner.register_hook(object())


def test_run_calls_stages_and_counts_iterations_and_epochs(tmp_path):
    model = ToyModel()
    runner = make_runner(tmp_path, model, max_iters=7)
    recorder = StageRecorder()
    runner.register_hook(recorder)
    runner.run([make_loader()], [('train', 1)])  # 11 samples, batch 4: 3 batches a pass
    assert runner.iter == 7 and model.calls == 7 and runner.epoch == 2
    assert recorder.calls.count('before_train_iter') == recorder.calls.count('after_train_iter') == 7
    assert recorder.calls[:2] == ['before_run', 'before_epoch'] and recorder.calls[-2:] == ['after_epoch', 'after_run']


def test_model_is_back_in_train_mode_after_a_hook_evaluated(tmp_path):
    class EvalMode(Hook):
        def __init__(self):
            self.modes = []

        def before_train_iter(self, runner):
            self.modes.append(runner.model.training)

        def after_train_iter(self, runner):
            runner.model.eval()

    hook = EvalMode()
    runner = make_runner(tmp_path, max_iters=3)
    runner.register_hook(hook)
    runner.run([make_loader()], [('train', 1)])
    assert hook.modes == [True, True, True]


def test_val_workflow_logs_with_a_prefix_and_does_not_count_iterations(tmp_path):
    runner = make_runner(tmp_path, max_iters=4)
    runner.register_training_hooks(None, dict())
    seen = []

    class Watch(Hook):
        def after_val_iter(self, runner):
            seen.append((runner.iter, runner.model.training))

    runner.register_hook(Watch())
    runner.run([make_loader(), make_loader()], [('train', 2), ('val', 1)])
    assert runner.iter == 4 and seen == [(2, False), (4, False)]
    assert 'val.loss' in runner.log_buffer._history


def test_run_errors_name_the_problem(tmp_path):
    with pytest.raises(TypeError, match='train_step'):
        IterBasedRunner(nn.Linear(2, 2))
    runner = make_runner(tmp_path, max_iters=None)
    with pytest.raises(ValueError, match='max_iters is not set'):
        runner.run([make_loader()], [('train', 1)])
    with pytest.raises(ValueError, match='one data loader per workflow entry'):
        runner.run([make_loader()], [('train', 1), ('val', 1)], max_iters=2)
    with pytest.raises(ValueError, match='workflow entries'):
        runner.run([make_loader()], [('test', 1)], max_iters=2)


MMSEG_HOOK_CONFIGS = dict(
    lr_config=dict(policy='poly', power=0.9, min_lr=1e-4, by_epoch=False, warmup='linear', warmup_iters=10,
                   warmup_ratio=1e-6),
    optimizer_config=dict(),
    checkpoint_config=dict(by_epoch=False, interval=4000, max_keep_ckpts=-1, save_optimizer=True),
    log_config=dict(interval=50, hooks=[dict(type='TextLoggerHook', by_epoch=False),
                                        dict(type='TensorboardLoggerHook')]),
    custom_hooks_config=[dict(type='CheckpointHook', interval=10, out_dir='elsewhere', priority='HIGHEST')])


def test_register_training_hooks_accepts_mmseg_configs_without_changing_them(tmp_path):
    runner = make_runner(tmp_path)
    configs = copy.deepcopy(MMSEG_HOOK_CONFIGS)
    runner.register_training_hooks(**configs)
    assert configs == MMSEG_HOOK_CONFIGS
    kinds = [(type(h), h.priority) for h in runner.hooks]
    assert kinds == [(CheckpointHook, 0), (PolyLrUpdaterHook, 10), (OptimizerHook, 40), (CheckpointHook, 50),
                     (IterTimerHook, 70), (TextLoggerHook, 90), (TensorboardLoggerHook, 90)]
    assert runner.hooks[0].out_dir == 'elsewhere' and runner.hooks[3].interval == 4000
    assert runner.hooks[5].interval == runner.hooks[6].interval == 50


@pytest.mark.parametrize('optimizer_config, hook_type', [
    (dict(grad_clip=dict(max_norm=35, norm_type=2)), OptimizerHook),
    (dict(type='AmpOptimizerHook', dtype='bf16', grad_clip=None, loss_scale='dynamic'), AmpOptimizerHook),
    (dict(type='Fp16OptimizerHook', loss_scale=512.), AmpOptimizerHook),
])
def test_optimizer_configs(tmp_path, optimizer_config, hook_type):
    runner = make_runner(tmp_path)
    runner.register_training_hooks(None, optimizer_config)
    assert type(runner.hooks[0]) is hook_type


def test_build_runner_and_current_lr(tmp_path):
    model = ToyModel()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    runner = build_runner(dict(type='IterBasedRunner', max_iters=40000),
                          dict(model=model, optimizer=optimizer, work_dir=str(tmp_path)))
    assert runner.max_iters == 40000 and runner.current_lr() == [0.05]
    runner.optimizer = {'a': optimizer}
    assert runner.current_lr() == {'a': [0.05]}
    runner.optimizer = None
    with pytest.raises(RuntimeError, match='needs an optimizer'):
        runner.current_lr()
