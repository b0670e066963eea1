"""Cross-validate a config: K folds or leave-one-out over its images, and/or several seeds, then one report.

    python tools/cross_validate.py CONFIG --folds 5 [--pool] [--seeds 0 1 2] [--work-dir DIR]
    python tools/cross_validate.py CONFIG --leave-one-out --pool
    python tools/cross_validate.py CONFIG --seeds 0 1 2          # the config's own split, three seeds
    python tools/cross_validate.py CONFIG --folds 5 --slurm PARTITION   # each fold one slurm job, in turn

Each fold (and seed) is trained with tools/train.py and tested with tools/test.py (--eval mDice) in its own
folder under the work dir (default work_dirs/cv_<config name>); a finished one (its eval.json exists) is not
run again, an interrupted one resumes. Arguments after ``--`` go to tools/train.py (e.g. ``-- --cfg-options
runner.max_iters=2000``). The report (printed, and WORK/cv_report.json) gives every run's metrics, their mean,
spread (sample standard deviation), min and max, and the per-image rows of all runs pooled.
"""
import argparse
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
from typing import List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from prettytable import PrettyTable  # noqa: E402

from mmcv.config import Config  # noqa: E402
from mmcv.fileio import atomic_write  # noqa: E402
from mmseg.apis.cross_validation import CrossValidation, summarize  # noqa: E402
from mmseg.utils.provenance import portable_path, provenance_record  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHOWN = ('mDice', 'Dice.vessel', 'fov.Se', 'fov.Sp', 'fov.AUC', 'fov.F1', 'fov.clDice')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='K-fold / leave-one-out cross-validation and seed repeats')
    parser.add_argument('config')
    split = parser.add_mutually_exclusive_group()
    split.add_argument('--folds', type=int, help='K folds over the images')
    split.add_argument('--leave-one-out', action='store_true', help='one fold per image')
    parser.add_argument('--pool', action='store_true',
                        help='pool the training and validation splits (default: the training split only)')
    parser.add_argument('--split-seed', type=int, default=0, help='seed of the image shuffle before dealing folds')
    parser.add_argument('--seeds', type=int, nargs='+', default=None, help='training seeds (default: 0)')
    parser.add_argument('--work-dir', help='default: work_dirs/cv_<config name>')
    parser.add_argument('--slurm', metavar='PARTITION', help='run each training/test as a slurm job '
                        '(tools/slurm_train.sh / slurm_test.sh, GPUS etc. from the environment)')
    parser.add_argument('--dry-run', action='store_true', help='write the folds and print the commands only')
    parser.epilog = 'arguments after -- go to tools/train.py'
    argv = list(sys.argv[1:] if argv is None else argv)
    cut = argv.index('--') if '--' in argv else len(argv)
    args = parser.parse_args(argv[:cut])
    args.train_args = argv[cut + 1:]
    if not osp.isfile(args.config):
        parser.error(f'config {args.config} does not exist')
    if args.folds is None and not args.leave_one_out and args.seeds is None:
        parser.error('give --folds K, --leave-one-out or --seeds S [S ...]')
    if args.seeds is not None and len(set(args.seeds)) != len(args.seeds):
        parser.error(f'--seeds repeats a seed: {args.seeds}')
    return args


def _commands(args, config: str, run_dir: str, seed: int) -> List[List[str]]:
    py = sys.executable
    train = [config, '--work-dir', run_dir, '--seed', str(seed), '--auto-resume', *args.train_args]
    test = [config, osp.join(run_dir, 'latest.pth'), '--eval', 'mDice', '--work-dir', run_dir]
    if args.slurm:
        name = osp.basename(run_dir)
        return [['bash', osp.join(ROOT, 'tools', 'slurm_train.sh'), args.slurm, f'cv_{name}', *train],
                ['bash', osp.join(ROOT, 'tools', 'slurm_test.sh'), args.slurm, f'cv_{name}_test', *test]]
    return [[py, osp.join(ROOT, 'tools', 'train.py'), *train], [py, osp.join(ROOT, 'tools', 'test.py'), *test]]


def run_one(args, config: str, run_dir: str, seed: int) -> Optional[dict]:
    """Train and test one run unless its eval.json exists; its eval record (None in a dry run)."""
    done = osp.join(run_dir, 'eval.json')
    if osp.isfile(done):
        print(f'{run_dir}: done, not run again')
        with open(done) as f:
            return json.load(f)
    for command in _commands(args, config, run_dir, seed):
        print('+ ' + ' '.join(command), flush=True)
        if args.dry_run:
            continue
        if subprocess.run(command, cwd=ROOT).returncode != 0:
            raise SystemExit(f'error: {" ".join(command[:3])} ... failed for {run_dir}; fix it and run '
                             'tools/cross_validate.py again: finished runs are kept')
    if args.dry_run:
        return None
    written = sorted(glob.glob(osp.join(run_dir, 'eval_single_scale_*.json')))
    if not written:
        raise SystemExit(f'error: tools/test.py wrote no eval_single_scale_*.json in {run_dir}')
    shutil.copyfile(written[-1], done + '.tmp')
    os.replace(done + '.tmp', done)
    with open(done) as f:
        return json.load(f)


def report(summary: dict) -> str:
    table = PrettyTable(['run', *SHOWN])
    for name, metrics in summary['runs'].items():
        table.add_row([name, *(f'{100 * metrics[k]:.2f}' if k in metrics else '-' for k in SHOWN)])
    stats = summary['stats']
    for label, field in (('mean', 'mean'), ('spread (std)', 'std'), ('min', 'min'), ('max', 'max')):
        table.add_row([label, *(f'{100 * stats[k][field]:.2f}' if k in stats else '-' for k in SHOWN)])
    lines = [table.get_string()]
    pooled = summary['per_image_stats']
    if pooled:
        shown = [k for k in SHOWN if k in pooled]
        lines.append(f'per image, all runs pooled ({len(summary["per_image"])} rows): ' + ', '.join(
            f'{k} {100 * pooled[k]["mean"]:.2f} +- {100 * pooled[k]["std"]:.2f}' for k in shown))
    return '\n'.join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    name = osp.splitext(osp.basename(args.config))[0]
    work_dir = osp.abspath(args.work_dir or osp.join('work_dirs', f'cv_{name}'))
    seeds = args.seeds or [0]
    runs = []  # (run name, config, run dir, seed)
    if args.folds is None and not args.leave_one_out:
        for seed in seeds:
            runs.append((f'seed_{seed}', osp.abspath(args.config), osp.join(work_dir, f'seed_{seed}'), seed))
    else:
        try:
            cv = CrossValidation(args.config, work_dir, folds=None if args.leave_one_out else args.folds,
                                 pool=args.pool, split_seed=args.split_seed)
        except (ValueError, FileNotFoundError) as e:
            raise SystemExit(f'error: {e}') from None
        configs = cv.write()
        print(f'{len(configs)} folds of {sum(len(f) for f in cv.folds)} images '
              f'({"training and validation splits pooled" if args.pool else "training split only"}) in {work_dir}')
        for k, config in enumerate(configs):
            for seed in seeds:
                suffix = f'/seed_{seed}' if len(seeds) > 1 else ''
                runs.append((f'fold_{k}{suffix}', config, cv.fold_dir(k) + suffix, seed))
    evals = {}
    for run_name, config, run_dir, seed in runs:
        record = run_one(args, config, run_dir, seed)
        if record is not None:
            evals[run_name] = record
    if args.dry_run:
        return
    summary = summarize(evals)
    text = report(summary)
    print(text)
    protocol = ('seeds of the config\'s own split' if args.folds is None and not args.leave_one_out else
                f'{"leave-one-out" if args.leave_one_out else f"{args.folds}-fold"} over the '
                f'{"pooled training and validation splits" if args.pool else "training split"} '
                f'(split seed {args.split_seed})')
    weights = {run: (record.get('provenance') or {}).get('checkpoint') for run, record in evals.items()}
    with atomic_write(osp.join(work_dir, 'cv_report.json')) as f:
        json.dump(dict(config=portable_path(args.config), protocol=protocol, seeds=seeds,
                       provenance=provenance_record(Config.fromfile(args.config), config_file=args.config), checkpoints=weights, **summary),
                  f, indent=2)
    print(f'report: {osp.join(work_dir, "cv_report.json")}')


if __name__ == '__main__':
    main()
