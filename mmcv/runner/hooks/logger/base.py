"""Base of the logger hooks: when to write training averages and evaluation results."""
from typing import Any, Dict, Optional, Union

import numpy as np
import torch

from ..hook import Hook


def to_scalar(value: Any) -> Optional[Union[int, float]]:
    """``value`` as a Python number, or None if it is not a single number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (np.generic, np.ndarray)) and value.size == 1:
        return value.item()
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    return None


def first_lr(runner) -> Optional[float]:
    """The lr of the first param group (of the first optimizer), None without an optimizer."""
    if runner.optimizer is None:
        return None
    lrs = runner.current_lr()
    return (next(iter(lrs.values())) if isinstance(lrs, dict) else lrs)[0]


class LoggerHook(Hook):
    """Writes ``runner.log_buffer.output``: the training averages every ``interval`` iterations
    (mode 'train'), and the evaluation results after each evaluation (mode 'val', at the
    ``after_val_epoch`` stage). At an iteration that also evaluates, the training line comes first.

    Every training log point also checks ``runner.loss_guard``, so a NaN/Inf loss stops training
    within ``interval`` iterations.

    Args:
        interval: logging period in iterations (all loggers of a runner share it).
        ignore_last: skip the partial interval at the end of training.
        by_epoch: must be False.
    """

    def __init__(self, interval: int = 10, ignore_last: bool = True, by_epoch: bool = False):
        if by_epoch:
            raise ValueError(f'{type(self).__name__}: only by_epoch=False is supported')
        if interval <= 0:
            raise ValueError(f'{type(self).__name__}: interval must be positive, got {interval}')
        self.interval = interval
        self.ignore_last = ignore_last
        self._last_logged_iter = -1

    def log(self, runner, mode: str) -> None:
        """Write ``runner.log_buffer.output``; ``mode`` is 'train' or 'val'."""
        raise NotImplementedError

    @staticmethod
    def scalars(output: Dict[str, Any]) -> Dict[str, Union[int, float]]:
        """The entries of ``output`` that are single numbers, as Python numbers."""
        values = ((key, to_scalar(value)) for key, value in output.items() if key != 'eval_iter_num')
        return {key: value for key, value in values if value is not None}

    def _is_log_point(self, runner) -> bool:
        return self.every_n_iters(runner, self.interval) or (not self.ignore_last and self.is_last_iter(runner))

    def _log_train(self, runner) -> None:
        if self._last_logged_iter == runner.iter:
            return
        self._last_logged_iter = runner.iter
        if not runner.log_buffer.ready:
            runner.log_buffer.average()
        self.log(runner, 'train')
        runner.loss_guard.check(runner.iter + 1)

    def after_train_iter(self, runner) -> None:
        if self._is_log_point(runner):
            self._log_train(runner)

    def before_val_epoch(self, runner) -> None:
        if self._is_log_point(runner):
            self._log_train(runner)

    def after_val_epoch(self, runner) -> None:
        self.log(runner, 'val')
