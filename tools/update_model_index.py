"""Write each family's model index (configs/<family>/metafile.yml) and README results tables from the committed
result files, or check that they agree.

    python tools/update_model_index.py            # rewrite metafile.yml, model-index.yml and the README tables
    python tools/update_model_index.py --check    # change nothing; print the differences, exit 1 if any
    python tools/update_model_index.py --fix-paths  # first make absolute paths in result files portable

A family is a configs/<family>/ folder with results/sources.yml (what each result file is; no figures).
"""
import argparse
import glob
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmcv.version import PROJECT_ROOT  # noqa: E402
from mmseg.utils.model_index import METAFILE, SOURCES, ModelIndexError  # noqa: E402
from mmseg.utils.results_tables import sync_family, sync_model_index  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('families', nargs='*', help='configs/<family> folders (default: every one with '
                        f'{SOURCES})')
    parser.add_argument('--check', action='store_true', help='write nothing; print the differences between '
                        'the committed index/README and what the result files give; exit 1 if there are any')
    parser.add_argument('--fix-paths', action='store_true', help='rewrite absolute paths in the result files '
                        'as portable ones (project- or work-dir-relative, else base names); figures untouched')
    parser.add_argument('--root', default=PROJECT_ROOT, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    families = args.families or sorted(osp.dirname(osp.dirname(p))
                                       for p in glob.glob(osp.join(args.root, 'configs', '*', SOURCES)))
    if not families:
        print(f'no configs/<family>/{SOURCES} under {args.root}', file=sys.stderr)
        return 2
    diffs = []
    try:
        for family in families:
            diffs += sync_family(family, args.root, check=args.check, fix_paths=args.fix_paths)
        if not args.families:  # model-index.yml lists every family: only a full run may rewrite it
            diffs += sync_model_index([osp.join(f, METAFILE) for f in families], args.root, check=args.check)
    except ModelIndexError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    if args.check:
        for diff in diffs:
            print(diff)
        if diffs:
            print('the model index or README tables disagree with the result files; run '
                  'python tools/update_model_index.py', file=sys.stderr)
            return 1
        print('model index and README tables agree with the result files')
    else:
        print(f'{len(diffs)} file(s) updated' if diffs else 'nothing to update')
    return 0


if __name__ == '__main__':
    sys.exit(main())
