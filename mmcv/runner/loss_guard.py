"""Stop training on a NaN/Inf loss without synchronising the device every iteration."""
from typing import Optional

import torch
import torch.distributed as dist

from mmcv.dist import is_distributed


class LossGuard:
    """Keeps on the device the sum of the losses since the last check: NaN/Inf iff one of them was.

    :meth:`update` costs one small kernel and no synchronisation; :meth:`check` reads the sum
    (one synchronisation) and raises FloatingPointError naming the iterations it covers. Hooks check
    before writing a log line or a checkpoint, so no checkpoint is ever written after a bad loss.
    The runner calls :meth:`reset` with its first iteration when it starts (after a resume, too).
    """

    def __init__(self):
        self._sum: Optional[torch.Tensor] = None
        self._first_iter = 1

    def reset(self, first_iter: int = 1) -> None:
        """Forget the losses seen so far; the next check covers iterations from ``first_iter`` (1-based)."""
        self._sum = None
        self._first_iter = first_iter

    def update(self, loss: torch.Tensor) -> None:
        loss = loss.detach()
        self._sum = loss.float() if self._sum is None else self._sum + loss

    def check(self, last_iter: int, across_ranks: bool = True) -> None:
        """Raise FloatingPointError if a loss up to iteration ``last_iter`` (1-based) was NaN or Inf.

        With ``across_ranks`` (and a process group) the verdict is agreed over all ranks, so every
        rank stops together; then all ranks must call it at the same points.
        """
        total, self._sum = self._sum, None
        first, self._first_iter = self._first_iter, last_iter + 1
        finite = None if total is None else torch.isfinite(total).all()
        if across_ranks and is_distributed():
            device = 'cuda' if dist.get_backend() == 'nccl' else 'cpu'
            flag = torch.ones((), dtype=torch.int32, device=device) if finite is None else finite
            finite = flag.to(device, torch.int32)
            dist.all_reduce(finite, op=dist.ReduceOp.MIN)
        if finite is not None and not bool(finite):
            where = f'between iterations {first} and {last_iter}'
            if first == last_iter:
                where = f'at iteration {last_iter}'
            raise FloatingPointError(
                f'the loss became NaN or Inf {where}; training stopped. No checkpoint was written after it, '
                'and every checkpoint this run wrote was checked to hold finite weights, buffers and optimizer '
                'state. Try a lower learning rate, grad_clip in optimizer_config, or check the data.')
