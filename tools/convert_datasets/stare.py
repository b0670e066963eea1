"""Convert the official STARE tars into data/STARE for STAREDataset (mmseg 0.x command line and layout).

    python tools/convert_datasets/stare.py stare-images.tar labels-ah.tar labels-vk.tar [-o data/STARE] [--force]

The first 10 images by name are training, the last 10 validation; FOV masks are derived from the
images (STARE has none). On bad input the tool exits with status 1 and one line naming the file or
tar member, and writes nothing. --force replaces only a folder a converter wrote (see
mmseg/datasets/converters/output.py); SIGTERM and Ctrl-C remove the temporary tree (exit 143 / 130).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseg.datasets.converters import convert_stare  # noqa: E402
from mmseg.datasets.converters.cli import add_common_args, common_options, run_converter  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Convert the STARE tars into the mmseg layout')
    parser.add_argument('image_path', help='path of stare-images.tar')
    parser.add_argument('labels_ah', help='path of labels-ah.tar')
    parser.add_argument('labels_vk', help='path of labels-vk.tar')
    add_common_args(parser, 'data/STARE')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_converter('STARE', lambda: convert_stare(args.image_path, args.labels_ah, args.labels_vk,
                                                        **common_options(args)), args.out_dir)


if __name__ == '__main__':
    sys.exit(main())
