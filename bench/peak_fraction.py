"""How much of this machine's arithmetic peak a training step of a config's model reaches, in one run.

For each precision (float32, and bf16 autocast unless --no-bf16):
- peak: the best of a large matrix product (N x N @ N x N) and a 3x3 convolution (64 -> 64 channels,
  batch 8 at 128x128), medians of --repeats timed calls after a warm-up, on the same threads;
- the model: the median training step (forward of every supervised output, losses, backward, AdamW step)
  of --batch crops of --crop x --crop, and the FLOPs of that step counted by torch's FlopCounterMode
  (forward and backward; here ONE multiply-add = TWO FLOPs, the hardware convention, unlike
  tools/get_flops.py);
- achieved = step FLOPs / step time, and its fraction of the peak.

    python bench/peak_fraction.py configs/unet++/unet++_r34_16k_drive_cpu_adamw_rot90.py --threads 2
    python bench/peak_fraction.py CONFIG --batch 8 --crop 128 --json peak.json

The CPU and its flags are printed with the figures: compare machines only by such runs.
"""
import argparse
import os
import statistics
import sys
import time
from typing import Callable, Dict

import torch
import torch.nn.functional as F
from prettytable import PrettyTable
from torch.utils.flop_counter import FlopCounterMode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmcv import Config  # noqa: E402
from mmcv.fileio import dump  # noqa: E402
from mmcv.runner.precision import BF16_CPU_FLAGS, cpu_flags  # noqa: E402
from mmseg.models import build_segmentor  # noqa: E402
from mmseg.utils.provenance import provenance_record  # noqa: E402


def median_seconds(fn: Callable[[], None], repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def autocast(bf16: bool):
    return torch.autocast('cpu', dtype=torch.bfloat16, cache_enabled=False) if bf16 else torch.autocast(
        'cpu', enabled=False)


def peaks(bf16: bool, size: int, repeats: int) -> Dict[str, float]:
    """GFLOP/s (2 FLOPs per multiply-add) of a matrix product and of a 3x3 convolution."""
    dtype = torch.bfloat16 if bf16 else torch.float32
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    matmul = 2 * size ** 3 / median_seconds(lambda: torch.mm(a, b), repeats)
    x, w = torch.randn(8, 64, 128, 128, dtype=dtype), torch.randn(64, 64, 3, 3, dtype=dtype)
    conv_flops = 2 * 8 * 64 * 64 * 9 * 128 * 128
    conv = conv_flops / median_seconds(lambda: F.conv2d(x, w, padding=1), repeats)
    return {'matmul': matmul / 1e9, 'conv3x3': conv / 1e9}


def train_step(model, batch: dict, optimizer, bf16: bool) -> Callable[[], None]:
    def step() -> None:
        with autocast(bf16):
            loss = model.train_step(batch, optimizer)['loss']
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return step


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description='Fraction of the CPU peak reached by a training step')
    parser.add_argument('config')
    parser.add_argument('--batch', type=int, default=4)
    parser.add_argument('--crop', type=int, default=64)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--matmul-size', type=int, default=2048)
    parser.add_argument('--no-bf16', action='store_true', help='float32 only')
    parser.add_argument('--json', help='also write the figures to this JSON file')
    args = parser.parse_args(argv)
    if min(args.batch, args.crop, args.repeats, args.matmul_size) < 1:
        parser.error('--batch, --crop, --repeats and --matmul-size must be >= 1')
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = Config.fromfile(args.config)
    model = build_segmentor(cfg.model, train_cfg=cfg.get('train_cfg'), test_cfg=cfg.get('test_cfg'))
    model.init_weights()
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    side = args.crop
    meta = dict(ori_shape=(side, side, 3), img_shape=(side, side, 3), pad_shape=(side, side, 3), flip=False)
    batch = dict(img=torch.randn(args.batch, 3, side, side), img_metas=[meta] * args.batch,
                 gt_semantic_seg=torch.randint(0, 2, (args.batch, 1, side, side)))
    with FlopCounterMode(display=False) as counter:
        loss = model.train_step(batch, optimizer)['loss']
        loss.backward()
    optimizer.zero_grad(set_to_none=True)
    step_flops = counter.get_total_flops()

    flags = cpu_flags()
    cpu = next((line.split(':', 1)[1].strip() for line in open('/proc/cpuinfo') if line.startswith('model name')),
               'unknown CPU') if os.path.exists('/proc/cpuinfo') else 'unknown CPU'
    setup = (f'{cpu}, {torch.get_num_threads()} threads, bf16 flags: '
             f'{", ".join(f for f in BF16_CPU_FLAGS if f in flags) or "none"}, torch {torch.__version__}; '
             f'{os.path.basename(args.config)}, batch {args.batch} of {side}x{side}, '
             f'{step_flops / 1e9:.1f} GFLOP per training step (2 FLOPs per multiply-add)')
    rows = {}
    for bf16 in ([False] if args.no_bf16 else [False, True]):
        name = 'bf16 autocast' if bf16 else 'float32'
        peak = peaks(bf16, args.matmul_size, args.repeats)
        seconds = median_seconds(train_step(model, batch, optimizer, bf16), args.repeats)
        achieved = step_flops / seconds / 1e9
        best = max(peak.values())
        rows[name] = dict(step_ms=seconds * 1e3, achieved_gflops=achieved, peak_matmul_gflops=peak['matmul'],
                          peak_conv3x3_gflops=peak['conv3x3'], fraction_of_peak=achieved / best)
    table = PrettyTable(['precision', 'step (ms)', 'achieved GFLOP/s', 'matmul peak', 'conv3x3 peak',
                         'fraction of the best peak'])
    for name, row in rows.items():
        table.add_row([name, f'{row["step_ms"]:.0f}', f'{row["achieved_gflops"]:.0f}',
                       f'{row["peak_matmul_gflops"]:.0f}', f'{row["peak_conv3x3_gflops"]:.0f}',
                       f'{100 * row["fraction_of_peak"]:.0f}%'])
    print(setup)
    print(table)
    if args.json:
        dump(dict(provenance=provenance_record(config_file=args.config), setup=setup, step_gflop=step_flops / 1e9, rows=rows), args.json, indent=2)


if __name__ == '__main__':
    main()
