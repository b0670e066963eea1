"""Make a checkpoint ready for release (mmseg 0.x's tool): python tools/publish_model.py IN_FILE OUT_FILE

Drops the optimizer and other training-only state and writes OUT_FILE-<sha256[:8]>.pth. Refuses, writing
nothing, what tools/test.py refuses (NaN/Inf tensors, content that weights-only loading rejects) and an
OUT_FILE that is a folder or cannot be written (checked before IN_FILE is read).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmseg.apis.check_args import check_output_file  # noqa: E402
from mmseg.utils.publish_model import publish_checkpoint  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Process a checkpoint to be published')
    parser.add_argument('in_file', help='input checkpoint filename')
    parser.add_argument('out_file', help='output checkpoint filename (the hash is added before .pth)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        check_output_file(args.out_file, 'out_file', 'model.pth')
        final_file = publish_checkpoint(args.in_file, args.out_file)
    except (FileNotFoundError, FloatingPointError, RuntimeError, ValueError) as e:
        sys.exit(f'error: {e}')
    print(f'published {final_file}')
    return final_file


if __name__ == '__main__':
    main()
