"""AmpOptimizerHook(dtype='auto'): bf16 only where the CPU has it natively and it measures faster; the probe leaves no trace."""
import pytest
import torch

import mmcv.runner.precision as precision
from mmcv.runner.precision import choose_autocast, native_bf16, probe_train_step

from .toy import ToyModel, make_loader, make_runner, seed_all


def test_bf16_needs_amx_or_avx512_bf16_on_a_cpu():
    ok, why = native_bf16('cpu', frozenset({'avx2', 'avx512f'}))
    assert not ok and 'neither amx_bf16 nor avx512_bf16' in why
    assert native_bf16('cpu', frozenset({'avx512_bf16'})) == (True, 'the CPU has avx512_bf16')
    assert native_bf16('cpu', frozenset({'amx_bf16', 'avx512_bf16'}))[1] == 'the CPU has amx_bf16/avx512_bf16'


def test_without_native_bf16_nothing_is_probed(monkeypatch):
    monkeypatch.setattr(precision, 'probe_train_step', lambda *a, **k: pytest.fail('probed'))
    dtype, reason = choose_autocast(ToyModel(), None, None, 'cpu', flags=frozenset({'avx2'}))
    assert dtype is None and reason.startswith('float32: the CPU has neither')


def test_the_probe_leaves_buffers_gradients_and_rng_as_they_were():
    seed_all(0)
    model = ToyModel(dropout=0.5)
    batch = next(iter(make_loader()))
    buffers = {name: buf.clone() for name, buf in model.named_buffers()}
    state = torch.get_rng_state()
    times = probe_train_step(model, batch, None, 'cpu', reps=2)
    assert set(times) == {'fp32', 'bf16'} and all(t > 0 for t in times.values())
    assert torch.equal(torch.get_rng_state(), state)
    assert all(torch.equal(buf, buffers[name]) for name, buf in model.named_buffers())
    assert all(p.grad is None for p in model.parameters())
    assert torch.bfloat16 in model.autocast_dtypes and torch.float32 in model.autocast_dtypes


def _run(work_dir, optimizer_config, flags=None, monkeypatch=None):
    if flags is not None:
        monkeypatch.setattr(precision, 'cpu_flags', lambda path='/proc/cpuinfo': frozenset(flags))
    seed_all(0)
    model = ToyModel()
    runner = make_runner(work_dir, model, max_iters=6)
    runner.register_training_hooks(None, optimizer_config)
    runner.run([make_loader()], [('train', 1)])
    return runner, model


@pytest.mark.parametrize('min_speedup,chosen', [(1e-3, 'bf16'), (1e3, 'fp32')])
def test_auto_picks_by_measurement_and_says_why(tmp_path, monkeypatch, caplog, min_speedup, chosen):
    with caplog.at_level('INFO', logger='mmcv.test'):
        runner, model = _run(tmp_path, dict(type='AmpOptimizerHook', dtype='auto', min_speedup=min_speedup),
                             flags={'amx_bf16'}, monkeypatch=monkeypatch)
    assert runner.meta['precision'] == chosen
    line = next(r.getMessage() for r in caplog.records if 'dtype=auto' in r.getMessage())
    assert 'the CPU has amx_bf16' in line and 'ms in float32' in line and 'ms in bf16' in line
    assert line.split(': ', 1)[1].startswith('bf16 autocast' if chosen == 'bf16' else 'float32, bf16 is not')
    trained = model.autocast_dtypes[-5:]  # the 5 iterations after the first (the probe ran on the first)
    assert all(dtype == (torch.bfloat16 if chosen == 'bf16' else torch.float32) for dtype in trained)


def test_auto_choosing_float32_trains_exactly_as_without_amp(tmp_path, monkeypatch):
    _, plain = _run(tmp_path / 'plain', dict())
    _, auto = _run(tmp_path / 'auto', dict(type='AmpOptimizerHook', dtype='auto', min_speedup=1e3),
                   flags={'avx512_bf16'}, monkeypatch=monkeypatch)
    for (name, a), b in zip(plain.state_dict().items(), auto.state_dict().values()):
        assert torch.equal(a, b), name


def test_bad_auto_settings_are_refused():
    from mmcv.runner.hooks.optimizer import AmpOptimizerHook
    with pytest.raises(ValueError, match='or auto'):
        AmpOptimizerHook(dtype='bf17')
    with pytest.raises(ValueError, match='min_speedup'):
        AmpOptimizerHook(dtype='auto', min_speedup=0)
