"""Convert the official HRF zips into data/HRF for HRFDataset (mmseg 0.x command line and layout).

    python tools/convert_datasets/hrf.py healthy.zip healthy_manualsegm.zip glaucoma.zip glaucoma_manualsegm.zip \
        diabetic_retinopathy.zip diabetic_retinopathy_manualsegm.zip [-o data/HRF] [--force] \
        [--fov-masks healthy_fovmask.zip glaucoma_fovmask.zip diabetic_retinopathy_fovmask.zip]

Of each set's 15 images the first 5 are training, the last 10 validation. FOV masks come from the
official mask zips when given, else they are derived from the images. On bad input the tool exits
with status 1 and one line naming the file or zip member, and writes nothing. Labels with a few
anti-aliased grey pixels (the official 11_h, 12_h, 13_h) are binarized at 128 with one line each.
--force replaces only a folder a converter wrote (see
mmseg/datasets/converters/output.py); SIGTERM and Ctrl-C remove the temporary tree (exit 143 / 130).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseg.datasets.converters import convert_hrf  # noqa: E402
from mmseg.datasets.converters.cli import add_common_args, common_options, run_converter  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Convert the HRF zips into the mmseg layout')
    parser.add_argument('healthy_path', help='path of healthy.zip')
    parser.add_argument('healthy_manualsegm_path', help='path of healthy_manualsegm.zip')
    parser.add_argument('glaucoma_path', help='path of glaucoma.zip')
    parser.add_argument('glaucoma_manualsegm_path', help='path of glaucoma_manualsegm.zip')
    parser.add_argument('diabetic_retinopathy_path', help='path of diabetic_retinopathy.zip')
    parser.add_argument('diabetic_retinopathy_manualsegm_path', help='path of diabetic_retinopathy_manualsegm.zip')
    parser.add_argument('--fov-masks', nargs=3, metavar=('HEALTHY', 'GLAUCOMA', 'DIABETIC_RETINOPATHY'),
                        help='the official healthy_fovmask.zip, glaucoma_fovmask.zip and '
                             'diabetic_retinopathy_fovmask.zip (default: derive the masks from the images)')
    add_common_args(parser, 'data/HRF')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    images = [args.healthy_path, args.glaucoma_path, args.diabetic_retinopathy_path]
    labels = [args.healthy_manualsegm_path, args.glaucoma_manualsegm_path, args.diabetic_retinopathy_manualsegm_path]
    return run_converter('HRF', lambda: convert_hrf(images, labels, mask_zips=args.fov_masks,
                                                    **common_options(args)), args.out_dir)


if __name__ == '__main__':
    sys.exit(main())
