"""Measure images/s of a config: python tools/benchmark.py CONFIG [CHECKPOINT] [--train] [--json out.json].

Inference (default) runs the test pipeline one image at a time, as tools/test.py does; --train
times full training steps (forward, backward, optimizer step) on the training loader. --compile sets
model.test_cfg.compile (model.train_cfg.compile with --train) to True unless --cfg-options already set it
(e.g. model.test_cfg.compile.mode=max-autotune); the warm-up steps absorb the compile time.
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmcv.config import Config, DictAction  # noqa: E402
from mmcv.fileio import dump, mkdir_or_exist  # noqa: E402
from mmseg.apis.benchmark import AMP_DTYPES, benchmark  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Benchmark a segmentor (images per second)')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint file (default: random weights)')
    parser.add_argument('--train', action='store_true', help='time training steps instead of inference')
    parser.add_argument('--repeat-times', type=int, default=1, help='how many times to repeat the measurement')
    parser.add_argument('--log-interval', type=int, default=50, help='steps per reported window')
    parser.add_argument('--num-images', type=int, default=200,
                        help='images timed per repeat (the loader starts over when it runs out)')
    parser.add_argument('--warmup', type=int, default=5, help='untimed steps before each repeat')
    parser.add_argument('--samples-per-gpu', type=int, help='training batch size (--train only)')
    parser.add_argument('--amp', choices=sorted(AMP_DTYPES), help='run under autocast with this dtype')
    parser.add_argument('--channels-last', action='store_true', help='channels_last memory format')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile the timed model (test_cfg.compile, or train_cfg.compile with --train)')
    parser.add_argument('--work-dir', help='write benchmark_<mode>_<time>.json here (unless --json is given)')
    parser.add_argument('--json', help='write the report to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override some settings in the used config, the key-value pair in xxx=yyy format '
                        'will be merged into config file.')
    args = parser.parse_args(argv)
    if args.samples_per_gpu is not None and not args.train:
        parser.error('--samples-per-gpu applies to --train only (inference runs one image at a time)')
    if args.compile and args.warmup < 1:
        parser.error('--compile needs --warmup >= 1: the first step compiles and must not be timed')
    if args.checkpoint is not None and not osp.isfile(args.checkpoint):
        parser.error(f'checkpoint not found: {args.checkpoint}')
    return args


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config, cfg_options=args.cfg_options)
    section = 'train_cfg' if args.train else 'test_cfg'
    if args.compile and not (cfg.model.get(section) or {}).get('compile'):
        cfg.merge_from_dict({f'model.{section}.compile': True})
    report = benchmark(cfg, args.checkpoint, train=args.train, num_images=args.num_images, warmup=args.warmup,
                       repeat_times=args.repeat_times, log_interval=args.log_interval,
                       samples_per_gpu=args.samples_per_gpu, amp=args.amp, channels_last=args.channels_last)
    report['compile'] = (cfg.model.get(section) or {}).get('compile', False)
    json_file = args.json
    if json_file is None and args.work_dir is not None:
        json_file = osp.join(args.work_dir, f'benchmark_{report["mode"]}_{time.strftime("%Y%m%d_%H%M%S")}.json')
    if json_file is not None:
        mkdir_or_exist(osp.dirname(osp.abspath(json_file)))
        dump(report, json_file)
        print(f'report written to {json_file}')


if __name__ == '__main__':
    main()
