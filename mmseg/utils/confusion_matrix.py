"""The pixel confusion matrix of saved predictions over a dataset, as a plot, JSON and CSV (tools/confusion_matrix.py).

Rows are ground-truth classes, columns predicted classes; pixels whose label is ``ignore_index`` are
left out, as in evaluation (:func:`mmseg.core.evaluation.metrics.confusion_matrix` counts each image).
"""
import csv
import io
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np

from mmcv.fileio import atomic_write, dump, mkdir_or_exist
from mmseg.core.evaluation.metrics import confusion_matrix
from mmseg.core.seg_result import as_seg_result

BASENAME = 'confusion_matrix'


def dataset_confusion_matrix(dataset, results: Sequence, source: str = 'results') -> np.ndarray:
    """Sum over images of the ``[gt, pred]`` pixel counts of ``results`` (label maps or SegResults in dataset order).

    ``source`` names where the results came from, for error messages.
    """
    if not isinstance(results, (list, tuple)):
        raise TypeError(f'{source} holds a {type(results).__name__}; expected a list of label maps '
                        '(tools/test.py --out results.pkl)')
    if len(results) != len(dataset):
        raise ValueError(f'{source} has {len(results)} predictions but the test set of the config has '
                         f'{len(dataset)} images: were they made with this config?')
    num_classes = len(dataset.CLASSES)
    total = np.zeros((num_classes, num_classes), dtype=np.int64)
    for index, result in enumerate(results):
        pred = as_seg_result(result, f'{source}: result {index}').label_map
        try:
            total += confusion_matrix(pred, dataset.get_gt_seg_map_by_idx(index), num_classes,
                                      dataset.ignore_index)
        except ValueError as e:
            name = dataset.img_infos[index]['filename']
            raise ValueError(f'{source}: result {index} ({name}): {e}') from e
    return total


def row_percentages(matrix: np.ndarray) -> np.ndarray:
    """Each row as percentages of its ground-truth pixels; NaN for a class absent from the labels."""
    sums = matrix.sum(axis=1, keepdims=True).astype(np.float64)
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(sums > 0, matrix / sums * 100, np.nan)


def plot_confusion_matrix(matrix: np.ndarray, labels: Sequence[str], out_file: str,
                          title: str = 'Normalized Confusion Matrix', color_theme: str = 'winter') -> None:
    """Draw the row-normalised matrix (percent of each ground-truth class) with its values to ``out_file``."""
    from matplotlib.figure import Figure  # without pyplot: no GUI backend, no global state
    check_color_theme(color_theme)
    percent = row_percentages(matrix)
    size = len(labels)
    fig = Figure(figsize=(max(5.0, 0.6 * size + 3), max(3.5, 0.6 * size + 2)), layout='constrained')
    ax = fig.subplots()
    image = ax.imshow(np.nan_to_num(percent), cmap=color_theme, vmin=0, vmax=100)
    fig.colorbar(image, ax=ax, label='% of ground-truth pixels')
    fig.suptitle(title)
    ax.set_xticks(range(size), labels, rotation=45, ha='right')
    ax.set_yticks(range(size), labels)
    ax.set_xlabel('Prediction label')
    ax.set_ylabel('Ground truth label')
    for gt in range(size):
        for pred in range(size):
            text = '-' if np.isnan(percent[gt, pred]) else f'{percent[gt, pred]:.2f}%'
            ax.text(pred, gt, text, ha='center', va='center', color='w', fontsize=8)
    with atomic_write(out_file, mode='wb') as f:
        fig.savefig(f, format=osp.splitext(out_file)[1].lstrip('.') or 'png', dpi=120)


def check_color_theme(color_theme: str) -> None:
    """Raise ValueError unless ``color_theme`` is a matplotlib colour map."""
    import matplotlib
    if color_theme not in matplotlib.colormaps:
        raise ValueError(f'unknown --color-theme {color_theme!r}; matplotlib colour maps are e.g. winter, '
                         'viridis, Blues, plasma')


def save_confusion_matrix(matrix: np.ndarray, labels: Sequence[str], save_dir: str, ignore_index: int,
                          title: str = 'Normalized Confusion Matrix', color_theme: str = 'winter') -> Dict[str, str]:
    """Write ``confusion_matrix.{png,json,csv}`` (plot, counts + percentages, counts) into ``save_dir``."""
    labels = [str(label) for label in labels]
    if matrix.shape != (len(labels), len(labels)):
        raise ValueError(f'a {matrix.shape} matrix does not fit {len(labels)} class names')
    check_color_theme(color_theme)
    mkdir_or_exist(save_dir)
    paths = {ext: osp.join(save_dir, f'{BASENAME}.{ext}') for ext in ('png', 'json', 'csv')}
    plot_confusion_matrix(matrix, labels, paths['png'], title, color_theme)
    percent = row_percentages(matrix)
    dump(dict(classes=labels, rows='ground truth', columns='prediction', ignore_index=ignore_index,
              counts=matrix.tolist(),
              percent_of_ground_truth=[[None if np.isnan(v) else round(float(v), 4) for v in row] for row in percent]),
         paths['json'], indent=2)
    with atomic_write(paths['csv'], 'w') as f:
        f.write(_csv_text(matrix, labels))
    return paths


def _csv_text(matrix: np.ndarray, labels: List[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator='\n')
    writer.writerow(['ground_truth\\prediction', *labels])
    for label, row in zip(labels, matrix.tolist()):
        writer.writerow([label, *row])
    return buffer.getvalue()
