"""Text and JSON training logs in mmsegmentation's format."""
import datetime
import json
import os.path as osp
from typing import Any, Dict, Optional

import torch

from mmcv.fileio import NoSpaceError, is_disk_full

from ...builder import HOOKS
from .base import LoggerHook, first_lr

_NOT_ITEMS = ('mode', 'epoch', 'iter', 'lr', 'time', 'data_time', 'memory', 'img_per_s')


def _fmt(value: Any) -> str:
    return f'{value:.4f}' if isinstance(value, float) else str(value)


def _round(value: Any) -> Any:
    return float(f'{value:.6g}') if isinstance(value, float) else value


@HOOKS.register_module()
class TextLoggerHook(LoggerHook):
    """Log lines to ``runner.logger`` and records to ``work_dir/<runner.timestamp>.log.json`` (rank 0).

    Text, training: ``Iter [50/40000]\\tlr: 9.990e-03, eta: 1:02:03, time: 0.093, data_time: 0.007,
    memory: 1234, decode.loss_ce: 0.1234, ..., loss: 0.4690`` (memory: peak MB since the last line,
    CUDA only). Text, evaluation: ``Iter(val) [N]\\taAcc: 0.9650, mDice: 0.8123, ...`` with N the
    number of evaluation batches. JSON: the runner's meta first (environment, config), then one object
    per line, e.g. ``{"mode": "train", "epoch": 1, "iter": 50, "lr": ..., "memory": ..., "data_time":
    ..., "loss": ..., "time": ..., "img_per_s": ...}`` and ``{"mode": "val", "epoch": 1, "iter": 4000,
    "mDice": ...}`` (the training iteration of the evaluation).
    """

    def __init__(self, by_epoch: bool = False, interval: int = 10, ignore_last: bool = True):
        super().__init__(interval=interval, ignore_last=ignore_last, by_epoch=by_epoch)
        self.json_log_path: Optional[str] = None
        self._start_iter = 0
        self._prev_iter = 0
        self._time_sum = 0.

    def before_run(self, runner) -> None:
        self._start_iter = self._prev_iter = runner.iter
        self._time_sum = 0.
        if runner.rank == 0 and runner.work_dir is not None:
            self.json_log_path = osp.join(runner.work_dir, f'{runner.timestamp}.log.json')
            self._append_json(runner.meta)

    def _append_json(self, record: Dict[str, Any]) -> None:
        if self.json_log_path is None:
            return
        line = json.dumps({key: _round(value) for key, value in record.items()}, default=str) + '\n'
        try:
            with open(self.json_log_path, 'a') as f:
                f.write(line)
        except OSError as e:
            if is_disk_full(e):
                raise NoSpaceError(self.json_log_path, 'the JSON log') from None
            raise

    def _record(self, runner, mode: str) -> Dict[str, Any]:
        record: Dict[str, Any] = {'mode': mode, 'epoch': runner.epoch + 1, 'iter': runner.iter + 1}
        if mode == 'train':
            if runner.optimizer is not None:
                record['lr'] = first_lr(runner)
            device = runner.device
            if device.type == 'cuda':
                record['memory'] = torch.cuda.max_memory_allocated(device) // (1024 * 1024)
                torch.cuda.reset_peak_memory_stats(device)
        record.update(self.scalars(runner.log_buffer.output))
        return record

    def _train_line(self, runner, record: Dict[str, Any]) -> str:
        parts = [f'lr: {record["lr"]:.3e}'] if 'lr' in record else []
        done = runner.iter + 1
        if 'time' in record:
            self._time_sum += record['time'] * (done - self._prev_iter)
            eta = self._time_sum / max(done - self._start_iter, 1) * (runner.max_iters - done)
            parts.append(f'eta: {datetime.timedelta(seconds=int(eta))}, time: {record["time"]:.3f}')
            if 'data_time' in record:
                parts.append(f'data_time: {record["data_time"]:.3f}')
        self._prev_iter = done
        if 'memory' in record:
            parts.append(f'memory: {record["memory"]}')
        parts += [f'{key}: {_fmt(value)}' for key, value in record.items() if key not in _NOT_ITEMS]
        return f'Iter [{done}/{runner.max_iters}]\t' + ', '.join(parts)

    def _val_line(self, runner, record: Dict[str, Any]) -> str:
        num = runner.log_buffer.output.get('eval_iter_num', record['iter'])
        items = [f'{key}: {_fmt(value)}' for key, value in record.items() if key not in ('mode', 'epoch', 'iter')]
        return f'Iter(val) [{num}]\t' + ', '.join(items)

    def log(self, runner, mode: str) -> None:
        if runner.rank != 0:
            return
        record = self._record(runner, mode)
        line = self._train_line(runner, record) if mode == 'train' else self._val_line(runner, record)
        runner.logger.info(line)
        self._append_json(record)
