import pytest

from mmcv.runner import Hook, PolyLrUpdaterHook

from .toy import make_loader, make_runner


class RecordLr(Hook):
    def __init__(self):
        self.lrs = []

    def before_train_iter(self, runner):
        self.lrs.append(runner.current_lr())


def _lrs(tmp_path, lr_config, max_iters=12, base_lr=0.1):
    runner = make_runner(tmp_path, max_iters=max_iters, lr=base_lr)
    runner.register_training_hooks(lr_config)
    recorder = RecordLr()
    runner.register_hook(recorder, 'HIGH')
    runner.run([make_loader()], [('train', 1)])
    return [lrs[0] for lrs in recorder.lrs]


def _poly(i, max_iters=12, base=0.1, power=0.9, min_lr=1e-4):
    return (base - min_lr) * (1 - i / max_iters) ** power + min_lr


def test_poly_schedule_follows_the_formula(tmp_path):
    lrs = _lrs(tmp_path, dict(policy='poly', power=0.9, min_lr=1e-4, by_epoch=False))
    assert lrs == pytest.approx([_poly(i) for i in range(12)], rel=1e-12)


@pytest.mark.parametrize('warmup, factor', [
    ('linear', lambda i: 1 - (1 - i / 4) * (1 - 0.1)),
    ('exp', lambda i: 0.1 ** (1 - i / 4)),
    ('constant', lambda i: 0.1),
])
def test_warmup_scales_the_first_iterations(tmp_path, warmup, factor):
    lrs = _lrs(tmp_path, dict(policy='poly', power=0.9, min_lr=1e-4, warmup=warmup, warmup_iters=4,
                              warmup_ratio=0.1))
    expected = [_poly(i) * (factor(i) if i < 4 else 1) for i in range(12)]
    assert lrs == pytest.approx(expected, rel=1e-12)
    assert lrs[0] == pytest.approx(_poly(0) * 0.1)


def test_lr_multipliers_of_param_groups_are_kept(tmp_path):
    runner = make_runner(tmp_path, max_iters=4)
    runner.optimizer.add_param_group({'params': [], 'lr': 1.0})
    runner.register_training_hooks(dict(policy='poly', power=1., min_lr=0.))
    runner.run([make_loader()], [('train', 1)])
    lr_main, lr_other = runner.current_lr()
    assert lr_other / lr_main == pytest.approx(10.)


def test_step_schedule(tmp_path):
    lrs = _lrs(tmp_path, dict(policy='step', step=[3, 7], gamma=0.5), max_iters=9, base_lr=1.)
    assert lrs == [1., 1., 1., .5, .5, .5, .5, .25, .25]


def test_invalid_settings_are_rejected():
    with pytest.raises(ValueError, match='by_epoch=False'):
        PolyLrUpdaterHook(by_epoch=True)
    with pytest.raises(ValueError, match='warmup must be'):
        PolyLrUpdaterHook(warmup='cosine', warmup_iters=3)
    with pytest.raises(ValueError, match='warmup_iters > 0'):
        PolyLrUpdaterHook(warmup='linear', warmup_iters=0)
