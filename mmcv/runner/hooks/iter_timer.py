"""Iteration timing: time, data_time and throughput into the log buffer."""
import time

from ..builder import HOOKS
from .hook import Hook


@HOOKS.register_module()
class IterTimerHook(Hook):
    """Log each iteration's wall time ('time'), its data-loading share ('data_time') and 'img_per_s'.

    img_per_s is weighted by time, so its average over a log interval is the number of samples of all
    ranks (num_samples x world_size) divided by the interval's duration. Evaluations are not counted.
    """

    def __init__(self):
        self._t = time.perf_counter()

    def before_epoch(self, runner) -> None:
        self._t = time.perf_counter()

    def before_iter(self, runner) -> None:
        runner.log_buffer.update({'data_time': time.perf_counter() - self._t})

    def after_iter(self, runner) -> None:
        now = time.perf_counter()
        elapsed, self._t = now - self._t, now
        runner.log_buffer.update({'time': elapsed})
        samples = runner.outputs.get('num_samples', 0) * runner.world_size
        if samples and elapsed > 0:
            runner.log_buffer.update({'img_per_s': samples / elapsed}, count=elapsed)

    def after_val_epoch(self, runner) -> None:
        self._t = time.perf_counter()
