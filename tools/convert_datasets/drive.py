"""Convert the official DRIVE zips (training.zip, test.zip) into data/DRIVE for DRIVEDataset.

    python tools/convert_datasets/drive.py training.zip test.zip [-o data/DRIVE] [--tmp_dir DIR] [--force]

The test zip becomes the validation split. An existing non-empty output folder is left alone unless
--force is given; even then it is replaced only once the new tree is complete. On bad input the
tool exits with status 1 and a message naming the file or zip entry, and writes nothing.
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseg.datasets.converters import ConversionError, convert_drive  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Convert the DRIVE zips into the mmseg layout')
    parser.add_argument('training_path', help='path of training.zip')
    parser.add_argument('testing_path', help='path of test.zip')
    parser.add_argument('-o', '--out_dir', default='data/DRIVE', help='output folder (default: data/DRIVE)')
    parser.add_argument('--tmp_dir', help='where to build the tree before moving it into place '
                                          '(default: next to the output folder)')
    parser.add_argument('--force', action='store_true', help='replace an existing non-empty output folder')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    try:
        summaries = convert_drive(args.training_path, args.testing_path, args.out_dir, tmp_dir=args.tmp_dir,
                                  force=args.force)
    except ConversionError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    for split, summary in summaries.items():
        print(f'{split}: {summary}')
    print(f'Done: DRIVE written to {args.out_dir} in {time.perf_counter() - start:.1f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
