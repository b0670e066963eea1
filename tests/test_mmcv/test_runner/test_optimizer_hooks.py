import pytest
import torch

from mmcv.runner import AmpOptimizerHook

from .toy import ToyModel, make_loader, make_runner


def _train(tmp_path, optimizer_config, max_iters=3):
    model = ToyModel()
    before = [p.detach().clone() for p in model.parameters()]
    runner = make_runner(tmp_path, model, max_iters=max_iters)
    runner.register_training_hooks(None, optimizer_config)
    runner.run([make_loader()], [('train', 1)])
    changed = any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    return runner, model, changed


def test_optimizer_hook_steps_and_clips(tmp_path):
    runner, model, changed = _train(tmp_path, dict(grad_clip=dict(max_norm=1e-3, norm_type=2)))
    assert changed
    clipped = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in model.parameters()]))
    assert clipped == pytest.approx(1e-3, rel=1e-4)
    runner.log_buffer.average()
    assert runner.log_buffer.output['grad_norm'] > 1e-2  # the norm before clipping is logged


def test_bf16_autocast_on_cpu(tmp_path):
    runner, model, changed = _train(tmp_path, dict(type='AmpOptimizerHook', dtype='bf16'))
    assert changed
    assert model.autocast_dtypes == [torch.bfloat16] * 3
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert runner.grad_scaler is None


def test_fp16_on_cpu_falls_back_to_float32_with_a_warning(tmp_path):
    with pytest.warns(UserWarning, match='fp16 mixed precision needs a CUDA model'):
        runner, model, changed = _train(tmp_path, dict(type='Fp16OptimizerHook', loss_scale=512.))
    assert changed and model.autocast_dtypes == [torch.float32] * 3
    assert runner.autocast_dtype is None and runner.grad_scaler is None


def test_invalid_amp_settings():
    with pytest.raises(ValueError, match='dtype'):
        AmpOptimizerHook(dtype='fp8')
    with pytest.raises(ValueError, match='loss_scale'):
        AmpOptimizerHook(loss_scale='auto')
