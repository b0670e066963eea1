"""Run a segmentor over a test loader, in one process or several, and collect per-image results."""
import os.path as osp
from typing import List, Optional

import torch
from tqdm import tqdm

from mmcv.dist import collect_results_cpu, collect_results_gpu, get_dist_info
from mmseg.apis.visualize import save_error_overlay


def _wants_prob(dataset) -> bool:
    """Probabilities are needed only when the dataset can score AUC inside FOV masks."""
    return bool(getattr(dataset, 'fov_dir', None))


def _run(model, data_loader, show_dir: Optional[str], opacity: float, pre_eval: bool,
         progress: bool, return_prob: bool = False) -> list:
    dataset = data_loader.dataset
    return_prob = (pre_eval or return_prob) and _wants_prob(dataset)
    results = []
    batches = iter(data_loader.batch_sampler) if data_loader.batch_sampler is not None else None
    bar = tqdm(total=len(data_loader), desc='test', unit='img', disable=not progress, leave=False)
    model.eval()
    for data in data_loader:
        indices = list(next(batches)) if batches is not None else None
        with torch.no_grad():
            preds = model(return_loss=False, rescale=True, return_prob=return_prob, **data)
        if show_dir is not None:
            for pred, meta, idx in zip(preds, data['img_metas'][0], indices):
                label_map = pred['pred'] if isinstance(pred, dict) else pred
                out_file = osp.join(show_dir, osp.splitext(meta['ori_filename'])[0] + '.png')
                save_error_overlay(meta['filename'], label_map, dataset.get_gt_seg_map_by_idx(idx),
                                   out_file, opacity=opacity)
        if pre_eval:
            preds = dataset.pre_eval(preds, indices=indices)
        results.extend(preds)
        bar.update(len(preds))
    bar.close()
    return results


def single_gpu_test(model, data_loader, show: bool = False, out_dir: Optional[str] = None,
                    efficient_test: bool = False, opacity: float = 0.5, pre_eval: bool = False,
                    format_only: bool = False, format_args: Optional[dict] = None,
                    return_prob: bool = False) -> List:
    """Predict every image of ``data_loader``; with ``pre_eval`` keep only small per-image records.

    ``return_prob`` keeps raw predictions as ``{'pred', 'prob'}`` dicts when the dataset has FOV masks,
    so that evaluating them later still scores the FOV AUC.

    ``out_dir`` receives overlays colouring true positive (green), false positive (red) and false
    negative (blue) pixels of the foreground classes.
    """
    del show, efficient_test, format_only, format_args  # kept for mmseg's signature; unused here
    return _run(model, data_loader, out_dir, opacity, pre_eval, progress=True, return_prob=return_prob)


def multi_gpu_test(model, data_loader, tmpdir: Optional[str] = None, gpu_collect: bool = False,
                   efficient_test: bool = False, pre_eval: bool = False, format_only: bool = False,
                   format_args: Optional[dict] = None, show_dir: Optional[str] = None,
                   opacity: float = 0.5, return_prob: bool = False) -> Optional[List]:
    """Each rank predicts its share; rank 0 returns all results in dataset order, other ranks None.

    ``return_prob``: as in :func:`single_gpu_test`.
    """
    del efficient_test, format_only, format_args
    rank, _ = get_dist_info()
    results = _run(model, data_loader, show_dir, opacity, pre_eval, progress=rank == 0, return_prob=return_prob)
    size = len(data_loader.dataset)
    if gpu_collect:
        return collect_results_gpu(results, size)
    return collect_results_cpu(results, size, tmpdir)

