"""Activation checkpointing (``with_cp``): recompute a block in the backward pass instead of storing it."""
import torch
import torch.utils.checkpoint as cp
from torch import nn


def maybe_checkpoint(block: nn.Module, x: torch.Tensor, with_cp: bool) -> torch.Tensor:
    """``block(x)``, checkpointed when ``with_cp`` and a gradient is needed (saves memory, costs time)."""
    if with_cp and x.requires_grad:
        return cp.checkpoint(block, x, use_reentrant=False)
    return block(x)
