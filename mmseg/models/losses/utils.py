"""Reduction and class-weight helpers shared by the losses."""
from typing import Optional, Sequence, Union

import torch

REDUCTIONS = ('none', 'mean', 'sum')


def class_weight_tensor(class_weight: Optional[Sequence[float]], loss: str) -> Optional[torch.Tensor]:
    """``class_weight`` (one float per class) as a float tensor, or None."""
    if class_weight is None:
        return None
    if isinstance(class_weight, (str, bytes)) or not all(isinstance(w, (int, float)) for w in class_weight):
        raise TypeError(f'{loss}: class_weight must be a list of floats (one per class), got {class_weight!r}')
    return torch.tensor([float(w) for w in class_weight])


def check_reduction(reduction: str, loss: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f'{loss}: reduction must be one of {REDUCTIONS}, got {reduction!r}')
    return reduction


def weight_reduce_loss(loss: torch.Tensor, weight: Optional[torch.Tensor] = None, reduction: str = 'mean',
                       avg_factor: Union[torch.Tensor, float, None] = None) -> torch.Tensor:
    """Multiply ``loss`` element-wise by ``weight`` and reduce it.

    With ``avg_factor`` the mean is ``sum / avg_factor`` (e.g. the number of non-ignored pixels); it may be a
    tensor, so no value has to leave the device.
    """
    if weight is not None:
        loss = loss * weight
    if reduction == 'none':
        return loss
    if reduction == 'sum':
        return loss.sum()
    if avg_factor is None:
        return loss.mean()
    return loss.sum() / (avg_factor + torch.finfo(torch.float32).eps)
