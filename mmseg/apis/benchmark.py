"""Throughput of a config on this machine: test images/s as tools/test.py runs the model, or training
images/s with full optimizer steps as tools/train.py runs them.

Inference times the model call only (mmseg's benchmark: data loading excluded) and reports the
median over repeats. Training times whole steps, data loading included since it can starve the
model, and reports the median over windows of ``log_interval`` steps, robust to a stray slow step.
Both report which share of the time went into waiting for data.
"""
import contextlib
import logging
import math
import os
import platform
import statistics
import time
from typing import Callable, Iterable, Iterator, List, Optional, Tuple, Union

import torch
import torch.nn as nn

from mmcv.checkpoint import load_checkpoint
from mmcv.logging import print_log
from mmcv.runner import IterBasedRunner, build_optimizer
from mmseg.apis.testing import build_test_loader
from mmseg.apis.train import build_train_loaders, wrap_model
from mmseg.datasets import build_dataset
from mmseg.models import build_segmentor
from mmseg.models.acceleration import accelerate_segmentor

AMP_DTYPES = {'bf16': torch.bfloat16, 'fp16': torch.float16}
Logger = Union[logging.Logger, str, None]
Record = Tuple[int, float, float]  # images of a step, seconds waiting for data, seconds computing


class TimedModel(nn.Module):
    """Calls ``model`` and keeps the wall time of each call (synchronised on CUDA)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        self.seconds: List[float] = []

    def forward(self, **kwargs):
        sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
        sync()
        start = time.perf_counter()
        out = self.model(**kwargs)
        sync()
        self.seconds.append(time.perf_counter() - start)
        return out


def device_name() -> str:
    """The GPU the run uses, or the CPU model and the number of torch threads."""
    if torch.cuda.is_available():
        return torch.cuda.get_device_name(torch.cuda.current_device())
    model = platform.processor() or platform.machine()
    if os.path.isfile('/proc/cpuinfo'):
        with open('/proc/cpuinfo', encoding='utf-8') as f:
            names = [line.split(':', 1)[1].strip() for line in f if line.startswith('model name')]
        model = names[0] if names else model
    return f'{model} ({torch.get_num_threads()} threads)'


def _synchronize() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _autocast(amp: Optional[str]):
    if amp is None:
        return contextlib.nullcontext()
    # cache_enabled=False as in the runner (and as CUDA-graph capture requires)
    return torch.autocast('cuda' if torch.cuda.is_available() else 'cpu', dtype=AMP_DTYPES[amp],
                          cache_enabled=False)


def _batch_size(data: dict) -> int:
    img = data['img']
    return int((img[0] if isinstance(img, (list, tuple)) else img).shape[0])


def _endless(loader: Iterable) -> Iterator[dict]:
    """The batches of ``loader``, starting over whenever it runs out (a small test set serves many steps)."""
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            raise ValueError('the data loader yields no batch: the dataset is empty or smaller than one '
                             'batch with drop_last (lower --samples-per-gpu)')


def build_benchmark_model(cfg, checkpoint: Optional[str], logger: Logger = None) -> nn.Module:
    """The segmentor of ``cfg`` with ``checkpoint`` loaded, or random weights (no pretrained download), and
    its compile settings applied (:func:`accelerate_segmentor`)."""
    model = build_segmentor(cfg.model, train_cfg=cfg.get('train_cfg'), test_cfg=cfg.get('test_cfg'))
    if checkpoint is None:
        print_log('no checkpoint given: timing randomly initialised weights', logger)
    else:
        load_checkpoint(model, checkpoint, map_location='cpu')
    return accelerate_segmentor(model)


def _time_steps(batches: Iterator[dict], step: Callable[[dict], None], num_steps: int) -> List[Record]:
    """(images, seconds waiting for the batch, seconds of ``step``) for each of ``num_steps`` steps."""
    records = []
    for _ in range(num_steps):
        start = time.perf_counter()
        data = next(batches)
        loaded = time.perf_counter()
        step(data)
        _synchronize()
        records.append((_batch_size(data), loaded - start, time.perf_counter() - loaded))
    return records


def config_amp(cfg) -> Optional[str]:
    """'fp16'/'bf16' when the config trains with an AmpOptimizerHook (or Fp16OptimizerHook), else None."""
    optimizer_config = cfg.get('optimizer_config') or {}
    if optimizer_config.get('type') not in ('AmpOptimizerHook', 'Fp16OptimizerHook'):
        return None
    dtype = optimizer_config.get('dtype', 'fp16')
    return {'float16': 'fp16', 'bfloat16': 'bf16'}.get(dtype, dtype)


def benchmark_optimizer_config(cfg, amp: Optional[str]) -> dict:
    """The config's ``optimizer_config``; with ``amp`` an AmpOptimizerHook of that dtype (keeping its
    grad_clip, and its loss_scale when the config already trains with mixed precision)."""
    optimizer_config = dict(cfg.get('optimizer_config') or {})
    if amp is None:
        return optimizer_config
    if config_amp(cfg) is None:
        optimizer_config = {k: v for k, v in optimizer_config.items() if k == 'grad_clip'}
    return dict(optimizer_config, type='AmpOptimizerHook', dtype=amp)


class _HandedBatch:
    """Stands in for the runner's IterLoader: hands over the batch whose loading the benchmark timed."""
    epoch = 0

    def __init__(self):
        self.batch = None

    def __next__(self) -> dict:
        return self.batch


def _train_step_fn(model: nn.Module, cfg, amp: Optional[str]) -> Callable[[dict], None]:
    """One training iteration of the runner: ``train_step`` (under autocast with mixed precision), then
    its optimizer hook, built from ``optimizer_config`` as in training (backward, grad clip, loss scaling)."""
    runner = IterBasedRunner(model, build_optimizer(model, cfg.optimizer))
    runner.register_training_hooks(None, benchmark_optimizer_config(cfg, amp), timer_config=None)
    runner.call_hook('before_run')
    handed = _HandedBatch()

    def step(data: dict) -> None:
        handed.batch = data
        runner.train(handed)
        runner.log_buffer.clear()  # no logger averages them here
    return step


def _test_step_fn(model: nn.Module, amp: Optional[str]) -> Callable[[dict], None]:
    def step(data: dict) -> None:
        with torch.no_grad(), _autocast(amp):
            model(return_loss=False, rescale=True, **data)
    return step


def _build_loader(cfg, train: bool, samples_per_gpu: Optional[int]):
    if train:
        if samples_per_gpu is not None:
            cfg.data.samples_per_gpu = samples_per_gpu
        if cfg.get('seed') is None:
            cfg.seed = 0
        return build_train_loaders([build_dataset(cfg.data.train)], cfg, distributed=False)[0]
    return build_test_loader(cfg)


def _windows(records: List[Record], size: int, train: bool) -> List[float]:
    """Images/s of each full window of ``size`` steps (all steps as one window when none is full)."""
    chunks = [records[i:i + size] for i in range(0, len(records) - size + 1, size)] or [records]
    return [_rate(chunk, train) for chunk in chunks]


def _rate(records: List[Record], train: bool) -> float:
    images = sum(r[0] for r in records)
    seconds = sum(r[2] + (r[1] if train else 0.0) for r in records)
    return images / seconds


def _measure(batches: Iterator[dict], step: Callable[[dict], None], num_steps: int, warmup: int,
             repeat_times: int, log_interval: int, train: bool, logger: Logger) -> dict:
    """Per-repeat and per-window images/s and the data-loading share of each repeat."""
    rates = dict(repeat=[], window=[], data_share=[])
    for repeat in range(1, repeat_times + 1):
        _time_steps(batches, step, warmup)
        records = _time_steps(batches, step, num_steps)
        windows = _windows(records, log_interval, train)
        total = sum(r[0] for r in records)
        for i, rate in enumerate(windows):
            done = sum(r[0] for r in records[:(i + 1) * log_interval])
            print_log(f'repeat {repeat}: done image [{done}/{total}], {rate:.2f} img/s', logger)
        rates['repeat'].append(_rate(records, train))
        rates['window'].extend(windows)
        data_seconds = sum(r[1] for r in records)
        rates['data_share'].append(data_seconds / (data_seconds + sum(r[2] for r in records)))
        print_log(f'repeat {repeat}: {rates["repeat"][-1]:.2f} img/s', logger)
    return rates


def benchmark(cfg, checkpoint: Optional[str] = None, train: bool = False, num_images: int = 200,
              warmup: int = 5, repeat_times: int = 1, log_interval: int = 50,
              samples_per_gpu: Optional[int] = None, amp: Optional[str] = None, channels_last: bool = False,
              logger: Logger = None) -> dict:
    """Time ``num_images`` images (after ``warmup`` untimed steps) ``repeat_times`` times; returns the report.

    ``amp`` defaults to the dtype of the config's AmpOptimizerHook, if any. ``cfg`` is changed in
    place (loader settings, ``channels_last``). The report holds the device, the settings,
    ``images_per_s`` (the headline figure), ``ms_per_image``, the per-repeat and per-window rates
    and ``data_time_share``.
    """
    amp = amp or config_amp(cfg)
    if amp is not None and amp not in AMP_DTYPES:
        raise ValueError(f'amp must be one of {sorted(AMP_DTYPES)} or None, got {amp!r}')
    if min(num_images, repeat_times, log_interval) < 1 or warmup < 0:
        raise ValueError(f'num_images, repeat_times and log_interval must be >= 1 and warmup >= 0, got '
                         f'{num_images}, {repeat_times}, {log_interval} and {warmup}')
    if cfg.get('cudnn_benchmark', False):
        torch.backends.cudnn.benchmark = True
    cfg.channels_last = channels_last
    if cfg.get('gpu_ids') is None:
        cfg.gpu_ids = [0]
    device = device_name()
    print_log(f'benchmarking {"training" if train else "inference"} on {device}', logger)
    loader = _build_loader(cfg, train, samples_per_gpu)
    model = wrap_model(build_benchmark_model(cfg, checkpoint, logger), cfg, distributed=False)
    model.train(train)
    step = _train_step_fn(model, cfg, amp) if train else _test_step_fn(model, amp)
    batch_size = loader.batch_size or 1
    num_steps = math.ceil(num_images / batch_size)
    rates = _measure(_endless(loader), step, num_steps, warmup, repeat_times, log_interval, train, logger)
    images_per_s = statistics.median(rates['window'] if train else rates['repeat'])
    report = dict(mode='train' if train else 'inference', config=cfg.filename, checkpoint=checkpoint,
                  device=device, torch=torch.__version__, amp=amp, channels_last=channels_last,
                  batch_size=batch_size, num_images=num_steps * batch_size, warmup_steps=warmup,
                  repeat_times=repeat_times, unit='img / s', images_per_s=round(images_per_s, 3),
                  ms_per_image=round(1000 / images_per_s, 3),
                  repeat_images_per_s=[round(r, 3) for r in rates['repeat']],
                  window_images_per_s=[round(r, 3) for r in rates['window']],
                  data_time_share=round(statistics.median(rates['data_share']), 4))
    summary = 'median over windows' if train else f'median over {repeat_times} repeat(s)'
    print_log(f'{report["mode"]}: {images_per_s:.2f} img/s ({summary}), {report["ms_per_image"]:.2f} ms/img, '
              f'batch {batch_size}, data loading {100 * report["data_time_share"]:.1f}% of the time, '
              f'device: {device}', logger)
    return report
