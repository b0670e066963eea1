"""Speed of our UNet++ beside segmentation_models_pytorch's UnetPlusPlus('resnet34'), in the same run.

Measures parameters, forward FLOPs at 64x64, the median training step (batch 4 by default, 64x64 crops, SGD,
forward + backward + step with every loss of the config, deep supervision included) and slide inference on a 584x565
image (DRIVE's size), for both models, plus our batched slide against one window at a time.

    python bench/model_speed.py --device cpu --threads 2
    python bench/model_speed.py --device cuda --amp --channels-last --json bench.json

smp is a bench-only dependency (pip install segmentation-models-pytorch); it runs through our segmentor's
test path (same windows, window batching and averaging) and is trained with our loss config.
"""
import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from typing import Callable, Dict, List

import torch
from prettytable import PrettyTable
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mmcv import Config  # noqa: E402
from mmseg.models import EncoderDecoder, build_loss, build_segmentor  # noqa: E402

DEFAULT_CONFIG = 'configs/_base_/models/unet++_r34.py'
CROP = 64
TRAIN_BATCH = 4
IMAGE_SHAPE = (584, 565)


class SmpSegmentor(nn.Module):
    """An smp network behind our EncoderDecoder's inference code, trained with our losses."""

    inference = EncoderDecoder.inference
    whole_inference = EncoderDecoder.whole_inference
    slide_inference = EncoderDecoder.slide_inference
    simple_test = EncoderDecoder.simple_test
    _restore_size = EncoderDecoder._restore_size
    _format_results = EncoderDecoder._format_results

    def __init__(self, net: nn.Module, loss_cfgs: List[dict], num_classes: int, test_cfg: dict):
        super().__init__()
        self.net = net
        self.losses = nn.ModuleList(build_loss(cfg) for cfg in loss_cfgs)
        self.out_channels = num_classes
        self.align_corners = False
        self.test_cfg = dict(test_cfg)

    def encode_decode(self, img: torch.Tensor, img_metas: List[dict]) -> torch.Tensor:
        return self.net(img)

    def train_step(self, data_batch: dict, optimizer=None) -> dict:
        logit, label = self.net(data_batch['img']), data_batch['gt_semantic_seg'].squeeze(1)
        return dict(loss=sum(loss(logit, label, ignore_index=255) for loss in self.losses))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG, help='config whose `model` is benchmarked')
    parser.add_argument('--device', default='cpu', help="'cpu', 'cuda' or 'cuda:N'")
    parser.add_argument('--amp', action='store_true', help='autocast to bfloat16')
    parser.add_argument('--channels-last', action='store_true', help='channels_last model and inputs')
    parser.add_argument('--batch', type=int, default=TRAIN_BATCH, help='training batch size')
    parser.add_argument('--repeats', type=int, default=20, help='timed training steps per model')
    parser.add_argument('--slide-repeats', type=int, default=3, help='timed slide inferences per model')
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch default)')
    parser.add_argument('--no-smp', action='store_true', help='benchmark our model only')
    parser.add_argument('--json', help='also write the numbers to this JSON file')
    return parser.parse_args()


def build_models(args: argparse.Namespace) -> Dict[str, nn.Module]:
    cfg = Config.fromfile(args.config).model
    models = {'ours': build_segmentor(cfg)}
    if not args.no_smp:
        import segmentation_models_pytorch as smp
        head = cfg.decode_head
        net = smp.UnetPlusPlus('resnet34', encoder_weights=None, classes=head.num_classes)
        models['smp'] = SmpSegmentor(net, head.loss_decode, head.num_classes, cfg.test_cfg)
    return models


def prepare(model: nn.Module, args: argparse.Namespace) -> nn.Module:
    model = model.to(args.device)
    return model.to(memory_format=torch.channels_last) if args.channels_last else model


def make_input(args: argparse.Namespace, *shape: int) -> torch.Tensor:
    x = torch.randn(*shape, device=args.device)
    return x.contiguous(memory_format=torch.channels_last) if args.channels_last else x


def autocast(args: argparse.Namespace):
    if not args.amp:
        return contextlib.nullcontext()
    # cache_enabled=False as in the runner: a weight-cast cache would break CUDA-graph capture
    return torch.autocast(torch.device(args.device).type, dtype=torch.bfloat16, cache_enabled=False)


def median_seconds(fns: Dict[str, Callable[[], object]], repeats: int, warmup: int,
                   device: str) -> Dict[str, float]:
    """Median wall time of each function over ``repeats`` calls after ``warmup`` untimed ones.

    The functions take turns (A, B, A, B, ...), so a machine busy with other work slows them alike.
    """
    sync = torch.cuda.synchronize if device.startswith('cuda') else (lambda: None)
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: Dict[str, List[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            sync()
            start = time.perf_counter()
            fn()
            sync()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def count_flops(model: nn.Module, args: argparse.Namespace) -> int:
    img = make_input(args, 1, 3, CROP, CROP)
    model.eval()
    with torch.no_grad(), autocast(args), FlopCounterMode(display=False) as counter:
        model.encode_decode(img, [test_meta((CROP, CROP))])
    return counter.get_total_flops()


def train_step_fn(model: nn.Module, args: argparse.Namespace) -> Callable[[], None]:
    """One SGD step of ``model`` on a fixed random batch (forward with every loss, backward, step)."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    batch = dict(img=make_input(args, args.batch, 3, CROP, CROP),
                 gt_semantic_seg=torch.randint(0, 2, (args.batch, 1, CROP, CROP), device=args.device),
                 img_metas=[test_meta((CROP, CROP))] * args.batch)

    def step():
        model.train()
        with autocast(args):
            loss = model.train_step(batch, optimizer)['loss']
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step


def slide_fn(model: nn.Module, args: argparse.Namespace, window_batch: int) -> Callable[[], None]:
    """Slide inference of one 584x565 image with ``window_batch`` windows per forward pass."""
    test_cfg = dict(model.test_cfg, mode='slide', window_batch=window_batch)
    img, meta = make_input(args, 1, 3, *IMAGE_SHAPE), [test_meta(IMAGE_SHAPE)]

    def infer():
        model.eval()
        model.test_cfg = test_cfg
        with torch.no_grad(), autocast(args):
            model.simple_test(img, meta, return_prob=True)

    return infer


def test_meta(shape) -> dict:
    return dict(ori_shape=(*shape, 3), img_shape=(*shape, 3), pad_shape=(*shape, 3), flip=False)


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.backends.cudnn.benchmark = True  # as in training (default_runtime.py); no effect on CPU
    torch.manual_seed(0)
    models = {name: prepare(model, args) for name, model in build_models(args).items()}
    window_batch = models['ours'].test_cfg.get('window_batch', 16)
    batched_key = f'slide 584x565, {window_batch} windows/pass (ms)'
    single_key = 'slide 584x565, 1 window/pass (ms)'
    results: Dict[str, Dict[str, float]] = {
        name: {'params (M)': sum(p.numel() for p in model.parameters()) / 1e6,
               'forward GFLOPs @64x64': count_flops(model, args) / 1e9}
        for name, model in models.items()}
    step_times = median_seconds({name: train_step_fn(model, args) for name, model in models.items()},
                                args.repeats, warmup=3, device=args.device)
    slide_fns = {name: slide_fn(model, args, window_batch) for name, model in models.items()}
    slide_fns['ours, one window/pass'] = slide_fn(models['ours'], args, 1)
    slide_times = median_seconds(slide_fns, args.slide_repeats, warmup=1, device=args.device)
    for name in models:
        results[name][f'train step, batch {args.batch} (ms)'] = step_times[name] * 1e3
        results[name][batched_key] = slide_times[name] * 1e3
    results['ours'][single_key] = slide_times['ours, one window/pass'] * 1e3

    table = PrettyTable(['metric', *results, *(['ours / smp'] if 'smp' in results else [])])
    table.align = 'r'
    table.align['metric'] = 'l'
    for metric, value in results['ours'].items():
        row = [metric, f'{value:.2f}']
        if 'smp' in results:
            other = results['smp'].get(metric)
            row += ['-', '-'] if other is None else [f'{other:.2f}', f'{value / other:.2f}']
        table.add_row(row)
    batched, one_by_one = results['ours'][batched_key], results['ours'][single_key]
    on_cuda = args.device.startswith('cuda')
    setup = (f'device={args.device} ({torch.cuda.get_device_name(args.device) if on_cuda else "cpu"}), '
             f'threads={torch.get_num_threads()}, amp={args.amp}, channels_last={args.channels_last}, '
             f'torch {torch.__version__}')
    print(setup)
    print(table)
    print(f'batched slide ({window_batch} windows/pass) vs one window at a time: {one_by_one / batched:.2f}x faster')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(setup=setup, results=results), f, indent=2)


if __name__ == '__main__':
    main()
