"""Convert the official CHASEDB1.zip into data/CHASE_DB1 for ChaseDB1Dataset (mmseg 0.x command line and layout).

    python tools/convert_datasets/chase_db1.py CHASEDB1.zip [-o data/CHASE_DB1] [--force]

The first 20 images by name are training, the last 8 validation; FOV masks are derived from the
images (CHASE_DB1 has none). On bad input the tool exits with status 1 and one line naming the file
or zip member, and writes nothing. --force replaces only a folder a converter wrote (see
mmseg/datasets/converters/output.py); SIGTERM and Ctrl-C remove the temporary tree (exit 143 / 130).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseg.datasets.converters import convert_chase_db1  # noqa: E402
from mmseg.datasets.converters.cli import add_common_args, common_options, run_converter  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Convert CHASEDB1.zip into the mmseg layout')
    parser.add_argument('dataset_path', help='path of CHASEDB1.zip')
    add_common_args(parser, 'data/CHASE_DB1')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_converter('CHASE_DB1', lambda: convert_chase_db1(args.dataset_path, **common_options(args)),
                         args.out_dir)


if __name__ == '__main__':
    sys.exit(main())
