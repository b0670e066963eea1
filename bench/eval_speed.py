"""Wall time of one whole test split, in several inference variants, side by side in one run.

The figure a user waits for: ``tools/test.py CONFIG CKPT --eval mDice`` from the first image loaded to the
metrics computed, here through the same test loop (build_test_loader, build_test_model, single_gpu_test with
per-image records, dataset.evaluate). Each variant is one way to run the same checkpoint:

    fp32      float32, the default
    bf16      ``model.test_cfg.autocast='bf16'`` (bf16 autocast, logits back in float32)
    fp32+cl / bf16+cl   the same with the model and images in channels_last memory format
    +compile  ``model.test_cfg.compile=True`` (torch.compile of encode_decode; first image pays the compile)

    python bench/eval_speed.py CONFIG [--checkpoint CKPT] [--test-set configs/_base_/datasets/stare.py]
        [--variants fp32 bf16 bf16+cl] [--mode whole] [--threads 2] [--json eval_speed.json]
        [--cfg-options KEY=VALUE ...]

For each variant: the number of images, the total wall seconds of the split (loading, model, metrics), the
seconds in the model alone (sum and median per image) and mDice / vessel Dice / FOV AUC / FOV F1, with their
difference from the first variant (the accuracy cost of the faster path). Without ``--checkpoint`` the model
keeps its random init: the times hold (they do not depend on the weights) but the metrics mean nothing and are
not reported. Variants run one after the other: measure on an otherwise idle machine.
"""
import argparse
import copy
import os
import statistics
import sys
import time
from typing import Dict, List, Optional

import torch
from prettytable import PrettyTable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mmcv.config import Config, DictAction  # noqa: E402
from mmcv.fileio import dump, mkdir_or_exist  # noqa: E402
from mmseg.apis import single_gpu_test  # noqa: E402
from mmseg.apis.benchmark import TimedModel, device_name  # noqa: E402
from mmseg.apis.test_set import use_test_set  # noqa: E402
from mmseg.apis.testing import build_test_loader, build_test_model  # noqa: E402
from mmseg.apis.train import wrap_model  # noqa: E402
from mmseg.utils.provenance import provenance_record  # noqa: E402

# (row label, key of dataset.evaluate), in percent
METRICS = [('mDice', 'mDice'), ('vessel Dice', 'Dice.vessel'), ('FOV AUC', 'fov.AUC'), ('FOV F1', 'fov.F1')]
VARIANT_PARTS = {'fp32', 'bf16', 'cl', 'compile'}


def variant_settings(name: str) -> Dict[str, bool]:
    """``'bf16+cl'`` -> dict(bf16=True, channels_last=True, compile=False); an unknown part is an error."""
    parts = name.split('+')
    unknown = [part for part in parts if part not in VARIANT_PARTS]
    precisions = [part for part in parts if part in ('fp32', 'bf16')]
    if unknown or len(precisions) != 1:
        raise ValueError(f'variant {name!r}: expected one of fp32/bf16, optionally +cl and/or +compile '
                         f'(e.g. bf16+cl){"; unknown: " + ", ".join(unknown) if unknown else ""}')
    return dict(bf16=precisions[0] == 'bf16', channels_last='cl' in parts, compile='compile' in parts)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--checkpoint', help='checkpoint (default: random init, times only)')
    parser.add_argument('--test-set', help="dataset config whose data.test replaces the config's (as tools/test.py)")
    parser.add_argument('--variants', nargs='+', default=['fp32', 'bf16'],
                        help='fp32, bf16, with +cl (channels_last) and/or +compile; the first is the reference')
    parser.add_argument('--mode', choices=['whole', 'slide', 'config'], default='whole',
                        help="test_cfg.mode (default whole; 'config' keeps the config's)")
    parser.add_argument('--workers', type=int, help='loader workers (default: the config\'s workers_per_gpu)')
    parser.add_argument('--threads', type=int, help='torch CPU threads (default: torch default)')
    parser.add_argument('--json', help='write the figures to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings, KEY=VALUE')
    args = parser.parse_args(argv)
    if args.checkpoint and not os.path.isfile(args.checkpoint):
        parser.error(f'checkpoint not found: {args.checkpoint}')
    for name in args.variants:
        try:
            variant_settings(name)
        except ValueError as err:
            parser.error(str(err))
    return args


def variant_config(cfg: Config, name: str, mode: str) -> Config:
    settings = variant_settings(name)
    out = copy.deepcopy(cfg)
    test_cfg = dict(out.model.get('test_cfg') or {})
    if mode != 'config':
        test_cfg['mode'] = mode
    test_cfg.pop('autocast', None)
    test_cfg.pop('compile', None)
    if settings['bf16']:
        test_cfg['autocast'] = 'bf16'
    if settings['compile']:
        test_cfg['compile'] = True
    out.model.test_cfg = test_cfg
    out.channels_last = settings['channels_last']
    return out


def run_variant(cfg: Config, checkpoint: Optional[str]) -> dict:
    """Predict and evaluate the test split once; wall and model seconds, metrics in percent."""
    start = time.perf_counter()
    loader = build_test_loader(cfg)
    model = TimedModel(wrap_model(build_test_model(cfg, checkpoint), cfg,
                                  distributed=False))
    records = single_gpu_test(model, loader, pre_eval=True)
    metrics = loader.dataset.evaluate(records, metric=['mDice'], logger='silent')
    wall = time.perf_counter() - start
    seconds: List[float] = model.seconds
    failure = getattr(model.model.module.encode_decode, 'failure', None)
    return dict(test_cfg=dict(cfg.model.test_cfg), channels_last=bool(cfg.channels_last), images=len(seconds),
                wall_seconds=wall, model_seconds=sum(seconds), model_seconds_median=statistics.median(seconds),
                first_image_seconds=seconds[0], compile_failure=failure,
                **({label: 100 * metrics[key] for label, key in METRICS} if checkpoint else {}))


def comparison_table(results: Dict[str, dict], with_metrics: bool) -> PrettyTable:
    names = list(results)
    reference = results[names[0]]
    table = PrettyTable(['', *names])
    table.align = 'r'
    table.align[''] = 'l'
    table.add_row(['images', *(r['images'] for r in results.values())])
    table.add_row(['split wall time (s)', *(f'{r["wall_seconds"]:.1f}' for r in results.values())])
    table.add_row(['model time (s)', *(f'{r["model_seconds"]:.1f}' for r in results.values())])
    table.add_row(['model s / image (median)', *(f'{r["model_seconds_median"]:.3f}' for r in results.values())])
    table.add_row([f'speed-up over {names[0]}',
                   *(f'{reference["wall_seconds"] / r["wall_seconds"]:.2f}x' for r in results.values())])
    if with_metrics:
        for label, _ in METRICS:
            table.add_row([label, *(f'{r[label]:.2f} ({r[label] - reference[label]:+.2f})' for r in results.values())])
    return table


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = Config.fromfile(args.config, cfg_options=args.cfg_options)
    if args.test_set:
        use_test_set(cfg, args.test_set, args.cfg_options)
    if args.workers is not None:
        cfg.data.workers_per_gpu = args.workers
    if cfg.get('gpu_ids') is None:
        cfg.gpu_ids = [0]
    results = {name: run_variant(variant_config(cfg, name, args.mode), args.checkpoint) for name in args.variants}
    test_set = args.test_set or "the config's"
    setup = (f'{args.config}, checkpoint={args.checkpoint or "none (random init: times only)"}, '
             f'test set={test_set} ({cfg.data.test.data_root}), mode={args.mode}, '
             f'threads={torch.get_num_threads()}, device: {device_name()}, torch {torch.__version__}')
    print(setup)
    print(comparison_table(results, bool(args.checkpoint)))
    for name, result in results.items():
        if result['compile_failure']:
            print(f'{name}: compiling failed, ran eagerly ({result["compile_failure"]})')
    if args.json:
        mkdir_or_exist(os.path.dirname(os.path.abspath(args.json)))
        dump(dict(provenance=provenance_record(cfg, config_file=args.config, checkpoint=args.checkpoint,
                                             test_set=args.test_set), setup=setup, command=' '.join(sys.argv), results=results), args.json)
        print(f'figures written to {args.json}')


if __name__ == '__main__':
    main()
