"""Resizing helper that skips the work when the size already matches."""
from typing import Sequence

import torch
import torch.nn.functional as F


def resize(x: torch.Tensor, size: Sequence[int], mode: str = 'bilinear',
           align_corners: bool = False) -> torch.Tensor:
    """Resize ``x`` [N, C, H, W] to ``size`` (H, W); returns ``x`` itself when it already has that size.

    While tracing (ONNX export) sizes stay symbolic, so the shortcut and the int conversion are skipped.
    """
    if not torch.jit.is_tracing():
        size = tuple(int(s) for s in size)
        if tuple(x.shape[2:]) == size:
            return x
    if mode in ('nearest', 'area'):
        return F.interpolate(x, size=size, mode=mode)
    return F.interpolate(x, size=size, mode=mode, align_corners=align_corners)
