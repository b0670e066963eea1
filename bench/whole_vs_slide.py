"""One checkpoint on the DRIVE validation split in slide mode and in whole-image mode, side by side.

UNet++ is fully convolutional (its decoder resizes bilinearly, so any image size works): one pass over the
whole 584x565 image costs 2.2x fewer FLOPs than the overlapping 64x64 windows at stride 42 (68 vs 152 GFLOPs for
the r34 UNet++, counted as tools/get_flops.py counts). This run tells whether that speed costs accuracy: mDice,
vessel Dice, FOV AUC and F1 and the median seconds per image of each mode (optionally each compiled as well,
``test_cfg.compile``), then whole vs slide.

    python bench/whole_vs_slide.py CONFIG CHECKPOINT [--data-root data/DRIVE] [--compile] [--flip]
        [--threads 2] [--json whole_vs_slide.json] [--cfg-options model.test_cfg.window_batch=256]

Each mode predicts the whole split through mmseg.apis' test loop (build_test_loader, build_test_model,
single_gpu_test with per-image records, dataset.evaluate); the model call of each image is timed. The first
``--warmup`` images' times (compiling happens there) are left out of the median and reported apart.
The modes run one after the other: measure on an otherwise idle machine.
"""
import argparse
import copy
import os
import statistics
import sys
from typing import Dict, List

import torch
from prettytable import PrettyTable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mmcv.config import Config, DictAction  # noqa: E402
from mmcv.fileio import dump, mkdir_or_exist  # noqa: E402
from mmseg.apis import single_gpu_test  # noqa: E402
from mmseg.apis.benchmark import TimedModel, device_name  # noqa: E402
from mmseg.apis.testing import build_test_loader, build_test_model  # noqa: E402
from mmseg.utils.provenance import provenance_record  # noqa: E402
from mmseg.apis.train import wrap_model  # noqa: E402

# (row label, key of dataset.evaluate) of the accuracy rows, in percent
METRICS = [('mDice', 'mDice'), ('vessel Dice', 'Dice.vessel'), ('FOV AUC', 'fov.AUC'), ('FOV F1', 'fov.F1')]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config whose data.test is the DRIVE validation split')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--data-root', help='DRIVE folder written by tools/convert_datasets/drive.py '
                        '(default: the config\'s data.test.data_root)')
    parser.add_argument('--compile', action='store_true', help='also run each mode with test_cfg.compile=True')
    parser.add_argument('--flip', action='store_true', help='horizontal flip test-time augmentation in every mode')
    parser.add_argument('--warmup', type=int, default=1, help='first images left out of the median time')
    parser.add_argument('--threads', type=int, help='torch CPU threads (default: torch default)')
    parser.add_argument('--json', help='write the figures to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, KEY=VALUE (e.g. model.test_cfg.window_batch=256)')
    args = parser.parse_args(argv)
    if not os.path.isfile(args.checkpoint):
        parser.error(f'checkpoint not found: {args.checkpoint}')
    if args.warmup < 0:
        parser.error(f'--warmup must be >= 0, got {args.warmup}')
    return args


def mode_configs(cfg: Config, compile_too: bool) -> Dict[str, Config]:
    """A config per contestant: the config's slide settings, whole-image mode, and both compiled."""
    test_cfg = dict(cfg.model.get('test_cfg') or {})
    missing = [key for key in ('crop_size', 'stride') if test_cfg.get(key) is None]
    if missing:
        raise SystemExit(f'{cfg.filename}: model.test_cfg has no {" or ".join(missing)} for slide mode; give them, '
                         'e.g. --cfg-options model.test_cfg.crop_size="(64,64)" model.test_cfg.stride="(42,42)"')
    test_cfg.pop('compile', None)
    variants = {'slide': dict(test_cfg, mode='slide'), 'whole': dict(test_cfg, mode='whole')}
    if compile_too:
        variants.update({f'{name}+compile': dict(value, compile=True) for name, value in list(variants.items())})
    configs = {}
    for name, variant in variants.items():
        configs[name] = copy.deepcopy(cfg)
        configs[name].model.test_cfg = variant
    return configs


def evaluate_mode(cfg: Config, checkpoint: str, warmup: int) -> dict:
    """Predict the test split with ``cfg``'s model; accuracy in percent and seconds per image."""
    loader = build_test_loader(cfg)
    model = TimedModel(wrap_model(build_test_model(cfg, checkpoint), cfg, distributed=False))
    records = single_gpu_test(model, loader, pre_eval=True)
    metrics = loader.dataset.evaluate(records, metric=['mDice'], logger='silent')
    timed = model.seconds[warmup:] or model.seconds
    compile_failure = getattr(model.model.module.encode_decode, 'failure', None)
    return dict(test_cfg=dict(cfg.model.test_cfg), images=len(model.seconds),
                **{label: 100 * metrics[key] for label, key in METRICS},
                seconds_per_image=statistics.median(timed), first_images_seconds=model.seconds[:warmup],
                compile_failure=compile_failure)


def comparison_table(results: Dict[str, dict]) -> PrettyTable:
    """Metrics and median time of each mode; the last column compares whole with slide."""
    table = PrettyTable(['', *results, 'whole vs slide'])
    table.align = 'r'
    table.align[''] = 'l'
    slide, whole = results['slide'], results['whole']
    for label, _ in METRICS:
        table.add_row([label, *(f'{r[label]:.2f}' for r in results.values()),
                       f'{whole[label] - slide[label]:+.2f} pts'])
    table.add_row(['s / image (median)', *(f'{r["seconds_per_image"]:.3f}' for r in results.values()),
                   f'{slide["seconds_per_image"] / whole["seconds_per_image"]:.2f}x faster'])
    return table


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = Config.fromfile(args.config, cfg_options=args.cfg_options)
    if args.data_root:
        cfg.data.test.data_root = args.data_root
    if args.flip:
        cfg.data.test.pipeline[1].flip = True
    if cfg.get('gpu_ids') is None:
        cfg.gpu_ids = [0]
    results = {name: evaluate_mode(mode_cfg, args.checkpoint, args.warmup)
               for name, mode_cfg in mode_configs(cfg, args.compile).items()}
    setup = (f'{args.config}, {args.checkpoint}, data_root={cfg.data.test.data_root}, flip={args.flip}, '
             f'device: {device_name()}, torch {torch.__version__}')
    print(setup)
    print(comparison_table(results))
    for name, result in results.items():
        if result['compile_failure']:
            print(f'{name}: compiling failed, timed eagerly ({result["compile_failure"]})')
    if args.json:
        mkdir_or_exist(os.path.dirname(os.path.abspath(args.json)))
        slide, whole = results['slide'], results['whole']
        dump(dict(provenance=provenance_record(), setup=setup, results=results,
                  whole_vs_slide=dict(speedup=slide['seconds_per_image'] / whole['seconds_per_image'],
                                      **{f'{label} (pts)': whole[label] - slide[label] for label, _ in METRICS})),
             args.json)
        print(f'figures written to {args.json}')


if __name__ == '__main__':
    main()
