"""Optimizer steps after each training iteration: plain, or mixed precision with torch.autocast."""
import warnings
from typing import List, Optional, Union

import torch
from torch.nn.utils import clip_grad_norm_

from ..builder import HOOKS
from ..precision import choose_autocast
from .hook import Hook

_AMP_DTYPES = {'fp16': torch.float16, 'float16': torch.float16, 'bf16': torch.bfloat16,
               'bfloat16': torch.bfloat16}


@HOOKS.register_module()
class OptimizerHook(Hook):
    """Backpropagate ``runner.outputs['loss']``, optionally clip gradients, step the optimizer.

    Every loss is also given to ``runner.loss_guard`` (no synchronisation), which the logger and
    checkpoint hooks check.

    Args:
        grad_clip: ``dict(max_norm=..., norm_type=2)`` for ``clip_grad_norm_``; the gradient norm
            before clipping is logged as 'grad_norm'.
    """

    def __init__(self, grad_clip: Optional[dict] = None):
        self.grad_clip = grad_clip
        self._params: List[torch.nn.Parameter] = []

    def before_run(self, runner) -> None:
        if not isinstance(runner.optimizer, torch.optim.Optimizer):
            raise TypeError(f'{type(self).__name__} needs runner.optimizer to be one torch optimizer, '
                            f'got {type(runner.optimizer).__name__}')
        self._params = [p for group in runner.optimizer.param_groups for p in group['params']]

    def clip_grads(self, runner) -> None:
        grad_norm = clip_grad_norm_(self._params, **self.grad_clip)
        runner.log_buffer.update({'grad_norm': grad_norm}, runner.outputs.get('num_samples', 1))

    def after_train_iter(self, runner) -> None:
        loss = runner.outputs['loss']
        runner.loss_guard.update(loss)
        runner.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.grad_clip is not None:
            self.clip_grads(runner)
        runner.optimizer.step()


def _grad_scaler(**kwargs):
    if hasattr(torch.amp, 'GradScaler'):
        return torch.amp.GradScaler('cuda', **kwargs)
    return torch.cuda.amp.GradScaler(**kwargs)


@HOOKS.register_module(name=['AmpOptimizerHook', 'Fp16OptimizerHook'])
class AmpOptimizerHook(OptimizerHook):
    """Mixed precision: the runner runs ``train_step`` under ``torch.autocast(dtype)``.

    Args:
        grad_clip: as for :class:`OptimizerHook` (gradients are unscaled first).
        dtype: 'fp16' (needs CUDA; the loss is scaled by a GradScaler), 'bf16' (CUDA or CPU; no
            scaling) or 'auto': bf16 where this machine runs it faster, else float32, decided on the first
            batch and logged (see :mod:`mmcv.runner.precision`). fp16 on a CPU model falls back to float32
            with a warning.
        loss_scale: 'dynamic', a fixed scale (float), or a dict of GradScaler arguments.
        min_speedup: with 'auto' on a CPU, how much faster bf16 must measure to be chosen.
    """

    def __init__(self, grad_clip: Optional[dict] = None, dtype: str = 'fp16',
                 loss_scale: Union[str, float, dict] = 'dynamic', min_speedup: float = 1.1):
        super().__init__(grad_clip)
        if dtype not in _AMP_DTYPES and dtype != 'auto':
            raise ValueError(f'dtype must be one of {", ".join(_AMP_DTYPES)} or auto, got {dtype!r}')
        if isinstance(min_speedup, bool) or not isinstance(min_speedup, (int, float)) or not min_speedup > 0:
            raise ValueError(f'min_speedup must be a positive number, got {min_speedup!r}')
        self.auto = dtype == 'auto'
        self.min_speedup = float(min_speedup)
        dtype = 'bf16' if self.auto else dtype
        if isinstance(loss_scale, bool) or not (loss_scale == 'dynamic' or isinstance(loss_scale, (int, float, dict))):
            raise ValueError(f"loss_scale must be 'dynamic', a number or a dict, got {loss_scale!r}")
        self.dtype = _AMP_DTYPES[dtype]
        self.loss_scale = loss_scale
        self._static_scale = float(loss_scale) if isinstance(loss_scale, (int, float)) else None
        self.scaler = None

    def _make_scaler(self):
        if isinstance(self.loss_scale, dict):
            return _grad_scaler(**self.loss_scale)
        if self._static_scale is None:
            return _grad_scaler()
        return _grad_scaler(init_scale=self._static_scale)

    def before_run(self, runner) -> None:
        super().before_run(runner)
        device_type = runner.device.type
        if self.dtype is torch.float16 and device_type != 'cuda':
            warnings.warn(f'fp16 mixed precision needs a CUDA model, this one is on {device_type}: '
                          'training in float32 (dtype="bf16" gives mixed precision on CPU)')
            return
        if self.auto:
            self._undecided = True  # decided on the first batch, in before_train_iter
            return
        runner.autocast_dtype = self.dtype
        if self.dtype is torch.float16:
            self.scaler = runner.grad_scaler = self._make_scaler()

    def before_train_iter(self, runner) -> None:
        if not getattr(self, '_undecided', False):
            return
        self._undecided = False
        dtype, reason = choose_autocast(runner.model, runner.data_batch, runner.optimizer, runner.device.type,
                                        self.min_speedup)
        self.dtype = dtype if dtype is not None else torch.float32
        runner.autocast_dtype = dtype
        runner.meta['precision'] = 'bf16' if dtype is torch.bfloat16 else 'fp32'
        runner.logger.info(f'precision (AmpOptimizerHook dtype=auto): {reason}')

    def after_train_iter(self, runner) -> None:
        if self.scaler is None:
            super().after_train_iter(runner)
            return
        loss = runner.outputs['loss']
        runner.loss_guard.update(loss)
        runner.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if self.grad_clip is not None:
            self.scaler.unscale_(runner.optimizer)
            self.clip_grads(runner)
        self.scaler.step(runner.optimizer)
        self.scaler.update(self._static_scale)
