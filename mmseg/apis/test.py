"""Run a segmentor over a test loader, in one process or several, and collect per-image results (mmseg's API).

The loop itself is :mod:`mmseg.core.evaluation.test_loop`, which the evaluation hooks share; this adds
mmseg 0.x's signatures and the error overlays of ``out_dir``/``show_dir``.
"""
import os.path as osp
from typing import List, Optional

from mmseg.core.evaluation import test_loop
from mmseg.core.visualization import save_error_overlay


def _overlay_writer(dataset, show_dir: Optional[str], opacity: float):
    """The ``on_batch`` callback that draws each prediction over its image into ``show_dir`` (None: no callback)."""
    if show_dir is None:
        return None

    def write(preds: list, data: dict, indices: List[int]) -> None:
        for pred, meta, idx in zip(preds, data['img_metas'][0], indices):
            out_file = osp.join(show_dir, osp.splitext(meta['ori_filename'])[0] + '.png')
            save_error_overlay(meta['filename'], pred.label_map, dataset.get_gt_seg_map_by_idx(idx), out_file,
                               opacity=opacity)

    return write


def single_gpu_test(model, data_loader, show: bool = False, out_dir: Optional[str] = None,
                    efficient_test: bool = False, opacity: float = 0.5, pre_eval: bool = False,
                    format_only: bool = False, format_args: Optional[dict] = None,
                    return_prob: bool = False) -> List:
    """Predict every image of ``data_loader``: one :class:`~mmseg.core.SegResult` each, or with ``pre_eval``
    only small per-image records.

    ``return_prob`` keeps the probabilities in the results when the dataset has FOV masks, so that
    evaluating them later still scores the FOV AUC.

    ``out_dir`` receives overlays colouring true positive (green), false positive (red) and false
    negative (blue) pixels of the foreground classes.
    """
    del show, efficient_test, format_only, format_args  # kept for mmseg's signature; unused here
    return test_loop.single_gpu_test(model, data_loader, pre_eval=pre_eval, return_prob=return_prob,
                                     on_batch=_overlay_writer(data_loader.dataset, out_dir, opacity))


def multi_gpu_test(model, data_loader, tmpdir: Optional[str] = None, gpu_collect: bool = False,
                   efficient_test: bool = False, pre_eval: bool = False, format_only: bool = False,
                   format_args: Optional[dict] = None, show_dir: Optional[str] = None,
                   opacity: float = 0.5, return_prob: bool = False) -> Optional[List]:
    """Each rank predicts its share; rank 0 returns all results in dataset order, other ranks None.

    ``return_prob``, ``show_dir``: as ``return_prob`` and ``out_dir`` of :func:`single_gpu_test`.
    """
    del efficient_test, format_only, format_args
    return test_loop.multi_gpu_test(model, data_loader, tmpdir=tmpdir, gpu_collect=gpu_collect, pre_eval=pre_eval,
                                    return_prob=return_prob,
                                    on_batch=_overlay_writer(data_loader.dataset, show_dir, opacity))
