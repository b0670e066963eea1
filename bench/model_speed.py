"""Speed of several segmentors side by side, in one run: our UNet++, its peers' configs, and smp's UnetPlusPlus.

Each contestant is the `model` of a config file (`--configs a.py b.py ...`), plus
segmentation_models_pytorch's UnetPlusPlus('resnet34') when installed. For each: parameters, forward FLOPs of
one 64x64 window (counted as tools/get_flops.py counts them: one multiply-add = one FLOP), the median training
step (batch 4 by default, 64x64 crops, SGD, forward + backward + step with every loss of the config, deep
supervision included) and the median inference of one 584x565 image (DRIVE's size) in slide mode (the config's
windows, batched) and in whole-image mode; for the first contestant also slide with one window at a time.
`--compile` adds the same timings with `train_cfg.compile` / `test_cfg.compile` (each cell then shows the
speed-up over eager).

    python bench/model_speed.py --device cpu --threads 2
    python bench/model_speed.py --device cpu --threads 2 --compile --configs configs/_base_/models/unet++_r34.py
    python bench/model_speed.py --device cuda --amp --channels-last --json bench.json

Without `--configs` the contestants are the UNet++ r34 model and every config under configs/unet/ and
configs/unet++/comparison/ (the U-Net family; folders not in the checkout are skipped with a note). smp is a
bench-only dependency (pip install segmentation-models-pytorch); it runs through our segmentor's test path
(same windows, window batching and averaging) and is trained with our loss config.
"""
import argparse
import contextlib
import copy
import glob
import os
import statistics
import sys
import time
from typing import Callable, Dict, List, Optional, Tuple

import torch
from prettytable import PrettyTable
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmcv import Config  # noqa: E402
from mmcv.config import DictAction  # noqa: E402
from mmcv.fileio import dump  # noqa: E402
from mmseg.models import EncoderDecoder, build_loss, build_segmentor  # noqa: E402
from mmseg.models.acceleration import accelerate_segmentor  # noqa: E402
from mmseg.utils.flops import CONVENTION as FLOP_CONVENTION, count_flops  # noqa: E402
from mmseg.utils.provenance import provenance_record  # noqa: E402

# a file, or a folder pattern of the U-Net family (skipped with a note when the checkout lacks it)
DEFAULT_CONFIGS = ['configs/_base_/models/unet++_r34.py', 'configs/unet/*.py', 'configs/unet++/comparison/*.py']
CROP = 64
TRAIN_BATCH = 4
IMAGE_SHAPE = (584, 565)
SLIDE_DEFAULTS = dict(crop_size=(64, 64), stride=(42, 42))  # for a config whose test_cfg has no windows


class SmpSegmentor(nn.Module):
    """An smp network behind our EncoderDecoder's inference code, trained with our losses."""

    inference = EncoderDecoder.inference
    whole_inference = EncoderDecoder.whole_inference
    slide_inference = EncoderDecoder.slide_inference
    simple_test = EncoderDecoder.simple_test
    _restore_size = EncoderDecoder._restore_size
    _format_results = EncoderDecoder._format_results
    _probabilities = EncoderDecoder._probabilities

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


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--configs', '--config', nargs='+', default=None,
                        help='configs whose `model` is benchmarked, one contestant each (default: UNet++ r34 and '
                        'the U-Net family configs in this checkout)')
    parser.add_argument('--device', default='cpu', help="'cpu', 'cuda' or 'cuda:N'")
    parser.add_argument('--amp', action='store_true', help='autocast to bfloat16')
    parser.add_argument('--channels-last', action='store_true', help='channels_last model and inputs')
    parser.add_argument('--batch', type=int, default=TRAIN_BATCH, help='training batch size')
    parser.add_argument('--crop', type=int, default=CROP, help='training crop side (default 64)')
    parser.add_argument('--repeats', type=int, default=20, help='timed training steps per contestant')
    parser.add_argument('--slide-repeats', type=int, default=3,
                        help='timed inferences of the image per contestant and mode (slide, whole)')
    parser.add_argument('--image-size', type=int, nargs=2, default=IMAGE_SHAPE, metavar=('H', 'W'),
                        help='size of the inferred image (default: DRIVE\'s 584 565)')
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch default)')
    parser.add_argument('--no-smp', action='store_true', help='leave smp out even when it is installed')
    parser.add_argument('--compile', action='store_true',
                        help='also time every config with train_cfg.compile and test_cfg.compile')
    parser.add_argument('--compile-options', nargs='+', action=DictAction, default={},
                        help='torch.compile arguments for --compile, KEY=VALUE (default: dynamic=False, one '
                        'static graph per input shape)')
    parser.add_argument('--json', help='also write the numbers to this JSON file')
    args = parser.parse_args(argv)
    if min(args.batch, args.crop, args.repeats, args.slide_repeats, *args.image_size) < 1:
        parser.error('--batch, --repeats, --slide-repeats and --image-size must be >= 1')
    return args


def config_files(requested: Optional[List[str]], notes: List[str]) -> List[str]:
    """The files of ``--configs`` (each must exist), or the default contestants that this checkout has."""
    if requested:
        missing = [path for path in requested if not os.path.isfile(path)]
        if missing:
            raise SystemExit(f'config file(s) not found: {missing}')
        return list(requested)
    files = []
    for pattern in DEFAULT_CONFIGS:
        found = sorted(glob.glob(os.path.join(ROOT, pattern)))
        if not found:
            notes.append(f'{pattern}: not in this checkout, skipped')
        files.extend(os.path.relpath(path, ROOT) for path in found)
    return files


def contestant_name(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def load_models(files: List[str], notes: List[str]) -> Dict[str, dict]:
    """name -> the config file and its `model` config; a model equal to an earlier one is left out."""
    models: Dict[str, dict] = {}
    for path in files:
        model_cfg = Config.fromfile(path).to_dict().get('model')
        if not isinstance(model_cfg, dict):
            raise SystemExit(f'{path}: no `model` dict in the config')
        twin = next((name for name, seen in models.items() if seen['model'] == model_cfg), None)
        if twin is not None:
            notes.append(f'{path}: same model as {twin}, skipped')
            continue
        name = contestant_name(path)
        if name in models:
            name = os.path.relpath(path, ROOT)
        models[name] = dict(config=path, model=model_cfg)
    return models


def build_contestant(model_cfg: dict, compile_options: Optional[dict]) -> nn.Module:
    """Our segmentor of ``model_cfg``; with ``compile_options`` its losses and test forward compiled."""
    cfg = copy.deepcopy(model_cfg)
    test_cfg = dict(cfg.get('test_cfg') or {})
    if compile_options is not None:
        cfg['train_cfg'] = dict(cfg.get('train_cfg') or {}, compile=dict(compile_options))
        test_cfg['compile'] = dict(compile_options)
    cfg['test_cfg'] = test_cfg
    return accelerate_segmentor(build_segmentor(cfg))


def build_smp(model_cfg: dict) -> nn.Module:
    import segmentation_models_pytorch as smp
    head = model_cfg['decode_head']
    net = smp.UnetPlusPlus('resnet34', encoder_weights=None, classes=head['num_classes'])
    return SmpSegmentor(net, head['loss_decode'], head['num_classes'], model_cfg.get('test_cfg') or {})


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


def train_step_fn(model: nn.Module, args: argparse.Namespace) -> Callable[[], None]:
    """One SGD step of ``model`` on a fixed random batch (forward with every loss, backward, step)."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    crop = args.crop
    batch = dict(img=make_input(args, args.batch, 3, crop, crop),
                 gt_semantic_seg=torch.randint(0, 2, (args.batch, 1, crop, crop), device=args.device),
                 img_metas=[test_meta((crop, crop))] * args.batch)

    def step():
        model.train()
        with autocast(args):
            loss = model.train_step(batch, optimizer)['loss']
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step


def infer_fn(model: nn.Module, args: argparse.Namespace, mode: str, window_batch: Optional[int] = None
             ) -> Callable[[], None]:
    """Inference of one image in ``mode`` ('slide': the model's windows, ``window_batch`` per pass; 'whole')."""
    test_cfg = dict(model.test_cfg, mode=mode)
    if mode == 'slide':
        for key, value in SLIDE_DEFAULTS.items():
            test_cfg.setdefault(key, value)
        test_cfg['window_batch'] = window_batch or test_cfg.get('window_batch', 16)
    img, meta = make_input(args, 1, 3, *args.image_size), [test_meta(args.image_size)]

    def infer():
        model.eval()
        model.test_cfg = test_cfg
        with torch.no_grad(), autocast(args):
            model.simple_test(img, meta, return_prob=True)

    return infer


def accepts_whole_image(name: str, model: nn.Module, args: argparse.Namespace) -> bool:
    """Whether ``model`` infers the whole image of ``args.image_size`` (one untimed try); prints why not."""
    try:
        infer_fn(model, args, 'whole')()
    except (ValueError, RuntimeError) as e:  # smp refuses sizes not divisible by 32 with a RuntimeError
        print(f'{name}: no whole-image time ({str(e).splitlines()[0]})')
        return False
    return True


def test_meta(shape) -> dict:
    return dict(ori_shape=(*shape, 3), img_shape=(*shape, 3), pad_shape=(*shape, 3), flip=False)


def compile_failures(name: str, model: nn.Module) -> List[str]:
    """Notes for the compiled parts of ``model`` that fell back to eager (their times are eager times)."""
    notes = []
    for attr, what in (('forward_train', 'train losses'), ('encode_decode', 'test forward')):
        failure = getattr(getattr(model, attr, None), 'failure', None)
        if failure:
            notes.append(f'{name}: compiling {what} failed, timed eagerly ({failure})')
    return notes


def static_recompiles():
    """A context in which each contestant and input shape may compile its own graph of the same methods:
    dynamo's limit of 8 graphs per method is lifted, and hitting it is an error (a warning and eager times)
    rather than a silent eager run."""
    config = torch._dynamo.config
    changes = {name: max(getattr(config, name), 64) for name in ('recompile_limit',) if hasattr(config, name)}
    changes.update({name: True for name in ('fail_on_recompile_limit_hit',) if hasattr(config, name)})
    return config.patch(changes)


def measure(models: Dict[str, nn.Module], args: argparse.Namespace, compiled: Dict[str, nn.Module]
            ) -> Tuple[Dict[str, Dict[str, float]], str]:
    """Figures of every contestant (times in ms); the name of the one-window-at-a-time row."""
    height, width = args.image_size
    train_key, slide_key, whole_key = (f'train step b{args.batch} (ms)', f'slide {height}x{width} (ms)',
                                       f'whole {height}x{width} (ms)')
    # FLOPs as tools/get_flops.py counts them (one multiply-add = one FLOP), on one CROP x CROP window
    results = {name: {'params (M)': sum(p.numel() for p in model.parameters()) / 1e6,
                      'GFLOPs @64x64': count_flops(model, (3, CROP, CROP)).flops / 1e9}
               for name, model in models.items()}
    train_fns = {name: train_step_fn(model, args) for name, model in models.items()}
    train_fns.update({f'{name} compiled': train_step_fn(model, args) for name, model in compiled.items()})
    step_times = median_seconds(train_fns, args.repeats, warmup=3, device=args.device)
    infer_fns = {}
    for suffix, group in (('', models), (' compiled', compiled)):
        for name, model in group.items():
            infer_fns[f'{name}{suffix} slide'] = infer_fn(model, args, 'slide')
            if suffix or accepts_whole_image(name, model, args):
                infer_fns[f'{name}{suffix} whole'] = infer_fn(model, args, 'whole')
    first = next(iter(models))
    single = f'{first}, 1 window/pass'
    infer_fns[single] = infer_fn(models[first], args, 'slide', window_batch=1)
    # two warm-up calls: compiled slide meets two window-batch shapes (full batches and the last one)
    infer_times = median_seconds(infer_fns, args.slide_repeats, warmup=2, device=args.device)
    for name in models:
        results[name][train_key] = 1e3 * step_times[name]
        if name in compiled:
            results[name][f'{train_key} compiled'] = 1e3 * step_times[f'{name} compiled']
        for key, mode in ((slide_key, 'slide'), (whole_key, 'whole')):
            if f'{name} {mode}' not in infer_times:
                continue  # the model cannot take the whole image (e.g. a UNet needs sizes divisible by 16)
            results[name][key] = 1e3 * infer_times[f'{name} {mode}']
            if name in compiled:
                results[name][f'{key} compiled'] = 1e3 * infer_times[f'{name} compiled {mode}']
    results[single] = {slide_key: 1e3 * infer_times[single]}
    return results, single


def results_table(results: Dict[str, Dict[str, float]]) -> PrettyTable:
    """One row per contestant; a compiled time shows its speed-up over the eager time beside it."""
    columns = list(dict.fromkeys(key for figures in results.values() for key in figures))
    table = PrettyTable(['contestant', *columns])
    table.align = 'r'
    table.align['contestant'] = 'l'
    for name, figures in results.items():
        row = [name]
        for key in columns:
            value = figures.get(key)
            if value is None:
                row.append('-')
            elif key.endswith(' compiled'):
                row.append(f'{value:.2f} ({figures[key[:-len(" compiled")]] / value:.2f}x)')
            else:
                row.append(f'{value:.2f}')
        table.add_row(row)
    return table


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.backends.cudnn.benchmark = True  # as in training (default_runtime.py); no effect on CPU
    notes: List[str] = []
    configs = load_models(config_files(args.configs, notes), notes)
    if not configs:
        raise SystemExit('no contestant: none of the configs exist')
    compile_options = dict(dict(dynamic=False), **args.compile_options) if args.compile else None
    models: Dict[str, nn.Module] = {}
    compiled: Dict[str, nn.Module] = {}
    for name, entry in configs.items():
        torch.manual_seed(0)
        models[name] = prepare(build_contestant(entry['model'], None), args)
        if compile_options is not None:
            compiled[name] = build_contestant(entry['model'], compile_options)
            compiled[name].load_state_dict(models[name].state_dict())
            compiled[name] = prepare(compiled[name], args)
    if not args.no_smp:
        try:
            models['smp UnetPlusPlus(resnet34)'] = prepare(build_smp(next(iter(configs.values()))['model']), args)
        except ImportError:
            notes.append('smp: not installed (pip install segmentation-models-pytorch), left out')
    with static_recompiles() if compile_options is not None else contextlib.nullcontext():
        results, single = measure(models, args, compiled)
    for name, model in compiled.items():
        notes.extend(compile_failures(name, model))

    on_cuda = args.device.startswith('cuda')
    setup = (f'device={args.device} ({torch.cuda.get_device_name(args.device) if on_cuda else "cpu"}), '
             f'threads={torch.get_num_threads()}, train crop={args.crop}x{args.crop}, amp={args.amp}, '
             f'channels_last={args.channels_last}, '
             f'compile={compile_options}, torch {torch.__version__}')
    print(setup)
    print(results_table(results))
    print(f'GFLOPs: {FLOP_CONVENTION}')
    first = next(iter(configs))
    slide_key = next(key for key in results[single])
    print(f'{first}: batched slide vs one window at a time: '
          f'{results[single][slide_key] / results[first][slide_key]:.2f}x faster')
    for note in notes:
        print(f'note: {note}')
    if args.json:
        dump(dict(provenance=provenance_record(), setup=setup, configs={name: entry['config'] for name, entry in configs.items()}, results=results,
                  flops_convention=FLOP_CONVENTION, notes=notes), args.json, indent=2)


if __name__ == '__main__':
    main()
