"""Write synthetic archives in the official format of DRIVE, STARE, CHASE_DB1 or HRF, for demos and tests.

    python tools/make_synthetic_retinal.py OUT_DIR --dataset {drive,stare,chase_db1,hrf} [--size W H] [--seed 0]
    python tools/convert_datasets/stare.py OUT_DIR/stare-images.tar OUT_DIR/labels-ah.tar OUT_DIR/labels-vk.tar

STARE, CHASE_DB1 and HRF get their official number of images and names (the converters check
them); DRIVE gets 20 + 20 (``tools/make_synthetic_drive.py`` sets other counts).
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmseg.utils.synthetic import make_synthetic_drive  # noqa: E402
from mmseg.utils.synthetic_sets import make_synthetic_chase_db1, make_synthetic_hrf, make_synthetic_stare  # noqa: E402

# dataset -> (writer taking (out_dir, size, seed), default size (w, h))
MAKERS = {
    'drive': (lambda out, size, seed: make_synthetic_drive(out, size=size, seed=seed), (565, 584)),
    'stare': (make_synthetic_stare, (700, 605)),
    'chase_db1': (make_synthetic_chase_db1, (999, 960)),
    'hrf': (make_synthetic_hrf, (876, 584)),
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Make synthetic retinal-vessel archives in the official formats')
    parser.add_argument('out_dir', help='folder for the archives')
    parser.add_argument('--dataset', choices=sorted(MAKERS), required=True)
    parser.add_argument('--size', type=int, nargs=2, metavar=('W', 'H'),
                        help='image width and height (default: the real size; HRF: a quarter of it)')
    parser.add_argument('--seed', type=int, default=0, help='the same seed gives the same files')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    make, default_size = MAKERS[args.dataset]
    size = tuple(args.size or default_size)
    if min(size) < 32:
        print(f'error: --size must be at least 32 pixels per side, got {size}', file=sys.stderr)
        return 1
    start = time.perf_counter()
    make(args.out_dir, size, args.seed)
    print(f'Wrote synthetic {args.dataset} archives of {size[0]}x{size[1]} images to {args.out_dir} '
          f'in {time.perf_counter() - start:.1f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
