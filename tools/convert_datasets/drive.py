"""Convert the official DRIVE zips (training.zip, test.zip) into data/DRIVE for DRIVEDataset.

    python tools/convert_datasets/drive.py training.zip test.zip [-o data/DRIVE] [--tmp_dir DIR] [--force]

The test zip becomes the validation split. An existing non-empty output folder is left alone unless
--force is given; even then it is replaced only once the new tree is complete, and only if a
converter wrote it (its .converter_manifest.json lists every file in it). On bad input the tool
exits with status 1 and a message naming the file or zip entry, and writes nothing; SIGTERM and
Ctrl-C remove the temporary tree (exit 143 / 130). See mmseg/datasets/converters/output.py.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseg.datasets.converters import convert_drive  # noqa: E402
from mmseg.datasets.converters.cli import add_common_args, common_options, run_converter  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Convert the DRIVE zips into the mmseg layout')
    parser.add_argument('training_path', help='path of training.zip')
    parser.add_argument('testing_path', help='path of test.zip')
    add_common_args(parser, 'data/DRIVE')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_converter('DRIVE', lambda: convert_drive(args.training_path, args.testing_path,
                                                        **common_options(args)), args.out_dir)


if __name__ == '__main__':
    sys.exit(main())
