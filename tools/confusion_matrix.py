"""Confusion matrix of saved test predictions (mmseg 0.x's tool):

    python tools/test.py CONFIG CHECKPOINT --out results.pkl
    python tools/confusion_matrix.py CONFIG results.pkl SHOW_DIR [--show] [--color-theme winter] [--title T]

Writes SHOW_DIR/confusion_matrix.png (percent of each ground-truth class), .json (counts and percentages)
and .csv (counts); rows are ground truth, columns predictions, ``ignore_index`` pixels left out.

The results file is read without unpickling (tools/test.py writes a safe .npz archive, whatever its suffix);
a plain pickle, such as mmseg 0.x wrote, is refused unless --unsafe-pickle is given.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmcv.config import Config, DictAction  # noqa: E402
from mmcv.fileio import load  # noqa: E402
from mmseg.apis.check_args import check_creatable_dir  # noqa: E402
from mmseg.datasets import build_dataset  # noqa: E402
from mmseg.utils.confusion_matrix import (check_color_theme, dataset_confusion_matrix,  # noqa: E402
                                          save_confusion_matrix)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Generate the confusion matrix of segmentation results')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('prediction_path', help='prediction results (.pkl) written by tools/test.py --out')
    parser.add_argument('save_dir', help='directory where the confusion matrix will be saved')
    parser.add_argument('--show', action='store_true', help='also show the plot (needs a GUI matplotlib backend)')
    parser.add_argument('--color-theme', default='winter', help='matplotlib colour map of the plot')
    parser.add_argument('--title', default='Normalized Confusion Matrix', help='title of the plot')
    parser.add_argument('--unsafe-pickle', action='store_true',
                        help='also read a results file that is a plain pickle (mmseg 0.x\'s --out): unpickling can '
                        'run arbitrary code, so only for files you trust')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override some settings in the used config, the key-value pair in xxx=yyy format '
                        'will be merged into config file.')
    return parser.parse_args(argv)


def show(png: str) -> None:
    """Display ``png`` in a window, or say why not."""
    import matplotlib
    import matplotlib.pyplot as plt
    if matplotlib.get_backend().lower() in ('agg', 'pdf', 'ps', 'svg', 'cairo', 'template'):
        print(f'--show: no GUI backend (matplotlib uses {matplotlib.get_backend()}); open {png} instead')
        return
    plt.imshow(plt.imread(png))
    plt.axis('off')
    plt.show()


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.prediction_path):
        sys.exit(f'prediction file not found: {args.prediction_path} (write it with tools/test.py ... --out FILE.pkl)')
    try:  # outputs first: a bad colour map or folder fails before any work
        check_color_theme(args.color_theme)
        check_creatable_dir(args.save_dir, f'save_dir {args.save_dir}')
    except ValueError as e:
        sys.exit(f'error: {e}')
    cfg = Config.fromfile(args.config, cfg_options=args.cfg_options)
    try:
        results = load(args.prediction_path, unsafe_pickle=args.unsafe_pickle)
    except ValueError as e:
        sys.exit(f'error: {e}')
    cfg.data.test.test_mode = True
    dataset = build_dataset(cfg.data.test)
    try:
        matrix = dataset_confusion_matrix(dataset, results, source=args.prediction_path)
        paths = save_confusion_matrix(matrix, dataset.CLASSES, args.save_dir, dataset.ignore_index,
                                      title=args.title, color_theme=args.color_theme)
    except (TypeError, ValueError) as e:
        sys.exit(f'error: {e}')
    print(f'confusion matrix (rows: ground truth, columns: prediction) written to {", ".join(paths.values())}')
    if args.show:
        show(paths['png'])
    return matrix


if __name__ == '__main__':
    main()
