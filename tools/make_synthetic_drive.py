"""Write synthetic DRIVE-format zips (training.zip, test.zip) for demos and tests without the real data.

    python tools/make_synthetic_drive.py OUT_DIR [--num-train 20] [--num-test 20] [--size 565 584] [--seed 0]
    python tools/convert_datasets/drive.py OUT_DIR/training.zip OUT_DIR/test.zip -o data/synthetic_drive
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmseg.utils.synthetic import make_synthetic_drive  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Make synthetic DRIVE-format zips')
    parser.add_argument('out_dir', help='folder for training.zip and test.zip')
    parser.add_argument('--num-train', type=int, default=20, help='training images (numbered 21, 22, ...)')
    parser.add_argument('--num-test', type=int, default=20, help='test images (numbered 01, 02, ...)')
    parser.add_argument('--size', type=int, nargs=2, default=(565, 584), metavar=('W', 'H'),
                        help='image width and height (default: DRIVE\'s 565 584)')
    parser.add_argument('--seed', type=int, default=0, help='the same seed gives the same files')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    try:
        paths = make_synthetic_drive(args.out_dir, args.num_train, args.num_test, tuple(args.size), args.seed)
    except ValueError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    print(f'Wrote {paths[0]} ({args.num_train} images) and {paths[1]} ({args.num_test} images) '
          f'in {time.perf_counter() - start:.1f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
