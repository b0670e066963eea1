"""TensorBoard event files of the training averages and evaluation results."""
import os.path as osp
from typing import Optional

from ...builder import HOOKS
from .base import LoggerHook, first_lr


@HOOKS.register_module()
class TensorboardLoggerHook(LoggerHook):
    """Write scalars 'train/<name>', 'learning_rate' and 'val/<metric>' at the training iteration.

    Needs the tensorboard package; events go to ``log_dir`` (default ``work_dir/tf_logs``), rank 0 only.
    """

    def __init__(self, log_dir: Optional[str] = None, interval: int = 10, ignore_last: bool = True,
                 by_epoch: bool = False):
        super().__init__(interval=interval, ignore_last=ignore_last, by_epoch=by_epoch)
        self.log_dir = log_dir
        self.writer = None

    def before_run(self, runner) -> None:
        if runner.rank != 0:
            return
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as e:
            raise ImportError('TensorboardLoggerHook needs the tensorboard package (pip install tensorboard); '
                              'or remove it from log_config.hooks') from e
        if self.log_dir is None:
            if runner.work_dir is None:
                raise ValueError('TensorboardLoggerHook needs log_dir or a runner with a work_dir')
            self.log_dir = osp.join(runner.work_dir, 'tf_logs')
        self.writer = SummaryWriter(self.log_dir)

    def log(self, runner, mode: str) -> None:
        if self.writer is None:
            return
        step = runner.iter + 1
        for key, value in self.scalars(runner.log_buffer.output).items():
            self.writer.add_scalar(f'{mode}/{key}', value, step)
        if mode == 'train' and runner.optimizer is not None:
            self.writer.add_scalar('learning_rate', first_lr(runner), step)

    def after_run(self, runner) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
