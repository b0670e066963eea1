"""Segment one image and save an overlay: python tools/infer.py IMAGE CONFIG CHECKPOINT [--out overlay.png].

Without --gt, predicted vessels are painted green; with --gt (a label map, 0/1 or 0/255) true
positives are green, false positives red and missed vessels blue.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import numpy as np  # noqa: E402

from mmcv.config import Config, DictAction  # noqa: E402
from mmcv.image import imread, imwrite  # noqa: E402
from mmseg.apis.check_args import check_image_output  # noqa: E402
from mmseg.apis.inference import draw_result, inference_segmentor, init_segmentor  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Segment one image and write an overlay')
    parser.add_argument('img', help='image file')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', default='overlay.png', help='overlay image to write (.png, .jpg, .tif, .bmp, .gif); '
                        'checked before the model is built')
    parser.add_argument('--device', default='cpu', help='device used for inference, e.g. cpu, cuda, cuda:1')
    parser.add_argument('--opacity', type=float, default=0.5, help='opacity of the painted mask, in (0, 1]')
    parser.add_argument('--gt', help='ground-truth label map of the image: colour errors instead of classes')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override some settings in the used config (xxx=yyy)')
    args = parser.parse_args(argv)
    if not 0 < args.opacity <= 1:
        parser.error(f'--opacity must be in (0, 1], got {args.opacity}')
    for name in ('img', 'checkpoint', 'gt'):
        path = getattr(args, name)
        if path is not None and not osp.isfile(path):
            parser.error(f'{name} file not found: {path}')
    try:
        check_image_output(args.out, '--out')
    except ValueError as e:
        parser.error(str(e))
    return args


def read_label_map(path: str) -> np.ndarray:
    """A label map with vessel = 1; binary masks stored as 0/255 (DRIVE's raw annotations) are mapped."""
    gt = imread(path, flag='unchanged')
    if gt.ndim == 3:
        gt = gt[..., 0]
    if gt.max() == 255 and set(np.unique(gt).tolist()) <= {0, 255}:
        gt = (gt // 255).astype(np.uint8)
    return gt


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config, cfg_options=args.cfg_options)
    model = init_segmentor(cfg, args.checkpoint, device=args.device)
    pred = inference_segmentor(model, args.img)[0].label_map
    img = imread(args.img, channel_order='rgb')
    gt = read_label_map(args.gt) if args.gt else None
    if gt is not None and gt.shape != pred.shape:
        sys.exit(f'error: --gt {args.gt} has shape {gt.shape}, the image {args.img} has {pred.shape}')
    overlay = draw_result(img, pred, gt, palette=getattr(model, 'PALETTE', None), opacity=args.opacity)
    imwrite(overlay[..., ::-1], args.out)
    print(f'vessel fraction: {(pred == 1).mean():.4f} of {pred.size} pixels')
    if gt is not None:
        inter = np.logical_and(pred == 1, gt == 1).sum()
        print(f'vessel Dice vs --gt: {2 * inter / max((pred == 1).sum() + (gt == 1).sum(), 1):.4f}')
    print(f'overlay written to {args.out}')


if __name__ == '__main__':
    main()
