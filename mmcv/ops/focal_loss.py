"""Sigmoid and softmax focal loss (Lin et al., 2017) with the semantics of mmcv 1.x ``mmcv.ops``.

Both take logits ``input`` [N, C] and class indices ``target`` [N] (int64). Dense predictions are
flattened by the caller: ``logits.permute(0, 2, 3, 1).reshape(-1, C)`` and ``labels.reshape(-1)``.

* ``sigmoid_focal_loss``: C independent one-vs-all problems. With p = sigmoid(x[n, c]):
  ``-alpha * (1 - p)**gamma * log(p)`` if ``target[n] == c`` else ``-(1 - alpha) * p**gamma * log(1 - p)``.
  A target outside [0, C) (C for "background", 255 for "ignore") makes its row all-negative.
  ``reduction='none'`` returns [N, C].
* ``softmax_focal_loss``: with p_t = softmax(x[n])[target[n]]: ``-alpha * (1 - p_t)**gamma * log(p_t)``.
  A target outside [0, C) gives its row zero loss and zero gradient. ``reduction='none'`` returns [N].
* ``weight``: optional class weights [C]; row n is multiplied by ``weight[target[n]]`` (rows whose target
  is outside [0, C) are unweighted). It is a constant: no gradient flows to it.
* ``reduction``: 'none', 'sum', or 'mean' = sum / N over all N rows (ignored rows included, as in mmcv).

The compiled kernels (mmcv._ext) run when ``get_backend(input.device) == 'ext'`` and the dtype is one
they take (float32/float64 on CPU; float16/bfloat16/float32/float64 on CUDA); otherwise an autograd
PyTorch implementation with the same values runs. Both work in log space, so large logits stay finite.
"""
from typing import Callable, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Function
from torch.autograd.function import once_differentiable

from .ext_loader import get_backend, load_ext

REDUCTIONS = ('none', 'mean', 'sum')
_EXT_DTYPES = {
    'cpu': (torch.float32, torch.float64),
    'cuda': (torch.float16, torch.bfloat16, torch.float32, torch.float64),
}


class _SigmoidFocalLossExt(Function):
    """Unreduced sigmoid focal loss [N, C] on mmcv._ext."""

    @staticmethod
    def forward(ctx, input, target, gamma, alpha, weight, ext):
        ctx.gamma, ctx.alpha, ctx.ext = gamma, alpha, ext
        ctx.save_for_backward(input, target, weight)
        return ext.sigmoid_focal_loss_forward(input, target, weight, gamma, alpha)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        input, target, weight = ctx.saved_tensors
        grad = ctx.ext.sigmoid_focal_loss_backward(input, target, weight, ctx.gamma, ctx.alpha)
        return grad * grad_output, None, None, None, None, None


class _SoftmaxFocalLossExt(Function):
    """Unreduced softmax focal loss [N] on mmcv._ext."""

    @staticmethod
    def forward(ctx, input, target, gamma, alpha, weight, ext):
        ctx.gamma, ctx.alpha, ctx.ext = gamma, alpha, ext
        loss, log_prob = ext.softmax_focal_loss_forward(input, target, weight, gamma, alpha)
        ctx.save_for_backward(log_prob, target, weight)
        return loss

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        log_prob, target, weight = ctx.saved_tensors
        grad = ctx.ext.softmax_focal_loss_backward(log_prob, target, weight, ctx.gamma, ctx.alpha)
        return grad * grad_output.unsqueeze(1), None, None, None, None, None


def _row_weight(weight: Optional[torch.Tensor], target: torch.Tensor, num_classes: int) -> Optional[torch.Tensor]:
    """weight[target[n]] per row, 1 where the target is outside [0, C)."""
    if weight is None:
        return None
    valid = (target >= 0) & (target < num_classes)
    return torch.where(valid, weight[target.clamp(0, num_classes - 1)], weight.new_ones(()))


def _pow_nan_free(base: torch.Tensor, exponent: float) -> torch.Tensor:
    """``base ** exponent`` for base >= 0 whose gradient at base == 0 is 0, not NaN, when exponent < 1."""
    positive = base > 0
    safe_base = torch.where(positive, base, torch.ones_like(base))
    return torch.where(positive, safe_base.pow(exponent), torch.full_like(base, 0.0 ** exponent))


def _sigmoid_focal_loss_pytorch(input: torch.Tensor, target: torch.Tensor, gamma: float, alpha: float,
                                weight: Optional[torch.Tensor]) -> torch.Tensor:
    num_classes = input.size(1)
    positive = target.unsqueeze(1) == torch.arange(num_classes, device=input.device)
    p, q = torch.sigmoid(input), torch.sigmoid(-input)
    loss = torch.where(positive, -alpha * _pow_nan_free(q, gamma) * F.logsigmoid(input),
                       -(1 - alpha) * _pow_nan_free(p, gamma) * F.logsigmoid(-input))
    row_weight = _row_weight(weight, target, num_classes)
    return loss if row_weight is None else loss * row_weight.unsqueeze(1)


def _softmax_focal_loss_pytorch(input: torch.Tensor, target: torch.Tensor, gamma: float, alpha: float,
                                weight: Optional[torch.Tensor]) -> torch.Tensor:
    num_classes = input.size(1)
    valid = (target >= 0) & (target < num_classes)
    index = target.clamp(0, num_classes - 1).unsqueeze(1)
    log_pt = F.log_softmax(input, dim=1).gather(1, index).squeeze(1)
    loss = -alpha * _pow_nan_free(-torch.expm1(log_pt), gamma) * log_pt
    loss = torch.where(valid, loss, torch.zeros_like(loss))
    row_weight = _row_weight(weight, target, num_classes)
    return loss if row_weight is None else loss * row_weight


def _check_args(op: str, input: torch.Tensor, target: torch.Tensor, gamma: float,
                weight: Optional[torch.Tensor], reduction: str) -> None:
    if not input.is_floating_point() or input.dim() != 2:
        raise ValueError(f'{op}: input must be floating-point logits of shape [N, C] (flatten dense '
                         f'predictions to [N*H*W, C]), got {input.dtype} {tuple(input.shape)}')
    if target.dtype != torch.int64 or tuple(target.shape) != (input.size(0),):
        raise ValueError(f'{op}: target must be int64 class indices of shape [N] = [{input.size(0)}], '
                         f'got {target.dtype} {tuple(target.shape)}')
    if target.device != input.device:
        raise ValueError(f'{op}: target is on {target.device} but input is on {input.device}')
    if weight is not None and tuple(weight.shape) != (input.size(1),):
        raise ValueError(f'{op}: weight must have shape [C] = [{input.size(1)}], got {tuple(weight.shape)}')
    if gamma < 0:
        raise ValueError(f'{op}: gamma must be >= 0, got {gamma}')
    if reduction not in REDUCTIONS:
        raise ValueError(f'{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}')


def _focal_loss(op: str, ext_function: type, pytorch_impl: Callable, input: torch.Tensor,
                target: torch.Tensor, gamma: float, alpha: float, weight: Optional[torch.Tensor],
                reduction: str) -> torch.Tensor:
    """Validate, run on mmcv._ext or on PyTorch, then reduce (shared by both focal losses)."""
    _check_args(op, input, target, gamma, weight, reduction)
    gamma, alpha = float(gamma), float(alpha)
    if weight is not None:
        weight = weight.detach().to(device=input.device, dtype=input.dtype)
    if get_backend(input.device) == 'ext' and input.dtype in _EXT_DTYPES.get(input.device.type, ()):
        ext_weight = input.new_empty(0) if weight is None else weight
        loss = ext_function.apply(input, target, gamma, alpha, ext_weight, load_ext())
    else:
        loss = pytorch_impl(input, target, gamma, alpha, weight)
    if reduction == 'mean':
        return loss.sum() / max(input.size(0), 1)
    if reduction == 'sum':
        return loss.sum()
    return loss


def sigmoid_focal_loss(input: torch.Tensor, target: torch.Tensor, gamma: float = 2.0, alpha: float = 0.25,
                       weight: Optional[torch.Tensor] = None, reduction: str = 'mean') -> torch.Tensor:
    """Sigmoid (one-vs-all) focal loss of logits [N, C] against class indices [N]; see the module doc."""
    return _focal_loss('sigmoid_focal_loss', _SigmoidFocalLossExt, _sigmoid_focal_loss_pytorch, input, target,
                       gamma, alpha, weight, reduction)


def softmax_focal_loss(input: torch.Tensor, target: torch.Tensor, gamma: float = 2.0, alpha: float = 0.25,
                       weight: Optional[torch.Tensor] = None, reduction: str = 'mean') -> torch.Tensor:
    """Softmax focal loss of logits [N, C] against class indices [N]; see the module doc."""
    return _focal_loss('softmax_focal_loss', _SoftmaxFocalLossExt, _softmax_focal_loss_pytorch, input, target,
                       gamma, alpha, weight, reduction)


class _FocalLoss(nn.Module):
    """Holds gamma, alpha, the class weights (a buffer, so it follows .to()/.cuda()) and the reduction."""

    loss_fn: Callable[..., torch.Tensor]

    def __init__(self, gamma: float = 2.0, alpha: float = 0.25, weight: Optional[torch.Tensor] = None,
                 reduction: str = 'mean'):
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f'{type(self).__name__}: reduction must be one of {REDUCTIONS}, got {reduction!r}')
        self.gamma = gamma
        self.alpha = alpha
        self.register_buffer('weight', weight)
        self.reduction = reduction

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.loss_fn(input, target, self.gamma, self.alpha, self.weight, self.reduction)

    def extra_repr(self) -> str:
        return f'gamma={self.gamma}, alpha={self.alpha}, reduction={self.reduction!r}'


class SigmoidFocalLoss(_FocalLoss):
    """Module form of :func:`sigmoid_focal_loss`."""

    loss_fn = staticmethod(sigmoid_focal_loss)


class SoftmaxFocalLoss(_FocalLoss):
    """Module form of :func:`softmax_focal_loss`."""

    loss_fn = staticmethod(softmax_focal_loss)
