"""Compare two models image by image: python tools/compare_results.py A.eval.json B.eval.json [--metric KEY].

Several seeds per side: --a A1.json A2.json --b B1.json B2.json (per-image values are averaged over a side's
files first). Prints B - A: mean, median, spread, a bootstrap 95% interval of the mean and a Wilcoxon
signed-rank test, and with several files the seed spread and Welch's t-test over the seed means; --out writes
the same as JSON.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmcv.fileio import dump, load  # noqa: E402
from mmseg.core.evaluation.compare import (DEFAULT_METRIC, CompareError, comparison_tables,  # noqa: E402
                                           compare_evaluations)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Paired per-image comparison of two models\' eval JSONs '
                                     '(tools/test.py --eval), differences B - A')
    parser.add_argument('files', nargs='*', metavar='JSON', help='A.json B.json: one eval JSON per side')
    parser.add_argument('--a', nargs='+', metavar='JSON', help='the eval JSONs of side A (e.g. one per seed)')
    parser.add_argument('--b', nargs='+', metavar='JSON', help='the eval JSONs of side B (e.g. one per seed)')
    parser.add_argument('--metric', default=DEFAULT_METRIC,
                        help=f'per-image figure to compare (default {DEFAULT_METRIC}; also fov.Se, fov.Sp, '
                        'fov.Acc, fov.AUC, fov.F1, fov.clDice, fov.components_pred, ... with FOV masks)')
    parser.add_argument('--n-resamples', type=int, default=9999, help='bootstrap resamples (default 9999)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the bootstrap (default 0)')
    parser.add_argument('--out', help='also write the comparison to this JSON file')
    args = parser.parse_args(argv)
    if args.files and (args.a or args.b):
        parser.error('give either two files (A B) or --a ... --b ..., not both')
    if args.files:
        if len(args.files) != 2:
            parser.error(f'expected two eval JSONs (A B), got {len(args.files)}')
        args.a, args.b = [args.files[0]], [args.files[1]]
    if not (args.a and args.b):
        parser.error('give two eval JSONs (A B), or --a ... and --b ...')
    if args.n_resamples < 1:
        parser.error(f'--n-resamples must be positive, got {args.n_resamples}')
    return args


def _load(file: str):
    try:
        return file, load(file)
    except (OSError, ValueError) as e:  # missing file, not JSON
        raise CompareError(f'cannot read {file}: {e}') from None


def main(argv=None):
    args = parse_args(argv)
    try:
        result = compare_evaluations([_load(f) for f in args.a], [_load(f) for f in args.b], metric=args.metric,
                                     n_resamples=args.n_resamples, seed=args.seed)
        if args.out:
            dump(result, args.out, indent=1)
    except (CompareError, OSError) as e:
        sys.exit(f'compare_results: {e}')
    print(comparison_tables(result))
    if args.out:
        print(f'comparison written to {args.out}')


if __name__ == '__main__':
    main()
