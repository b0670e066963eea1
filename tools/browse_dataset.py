"""Look at training samples after the train pipeline, labels painted over (mmseg 0.x's tool):

    python tools/browse_dataset.py CONFIG --output-dir browse/ --not-show [--show-origin] [--opacity 0.5]

Each image of the train set goes through the train pipeline (random crop, flips, photometric changes...)
once; Normalize is undone for display. ``--show-origin`` shows the images as loaded instead.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmcv.config import Config, DictAction  # noqa: E402
from mmcv.image import imwrite  # noqa: E402
from mmseg.utils.browse_dataset import browse_samples  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Browse a dataset')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--show-origin', default=False, action='store_true',
                        help='show the images as loaded, without the augmentations of the pipeline')
    parser.add_argument('--output-dir', default=None, type=str,
                        help='if there is no display interface, you can save the pictures here')
    parser.add_argument('--not-show', default=False, action='store_true', help='do not open a window')
    parser.add_argument('--show-interval', type=float, default=2, help='seconds each picture is shown')
    parser.add_argument('--opacity', type=float, default=0.5, help='opacity of the painted labels, in (0, 1]')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override some settings in the used config, the key-value pair in xxx=yyy format '
                        'will be merged into config file.')
    args = parser.parse_args(argv)
    if not 0 < args.opacity <= 1:
        parser.error(f'--opacity must be in (0, 1], got {args.opacity}')
    if args.not_show and args.output_dir is None:
        parser.error('nothing to do with --not-show and no --output-dir: give --output-dir DIR')
    return args


def show(img, name: str, interval: float) -> bool:
    """Show ``img`` for ``interval`` seconds; False where OpenCV has no GUI (headless build, no display)."""
    import cv2
    try:
        cv2.imshow('browse_dataset', img)
        cv2.setWindowTitle('browse_dataset', name)
        cv2.waitKey(max(1, int(interval * 1000)))
    except cv2.error:
        return False
    return True


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config, cfg_options=args.cfg_options)
    showing = not args.not_show
    count = 0
    for name, img in browse_samples(cfg, show_origin=args.show_origin, opacity=args.opacity):
        if args.output_dir is not None:
            imwrite(img, osp.join(args.output_dir, osp.splitext(name)[0] + '.png'))
        if showing and not show(img, name, args.show_interval):
            if args.output_dir is None:
                sys.exit('cannot open a window here (no display, or OpenCV without GUI): use --output-dir DIR '
                         '--not-show')
            print('cannot open a window here (no display, or OpenCV without GUI): only writing files')
            showing = False
        count += 1
    if args.output_dir is not None:
        print(f'{count} pictures written to {args.output_dir}')
    return count


if __name__ == '__main__':
    main()
