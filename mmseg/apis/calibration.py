"""The vessel-probability threshold that maximizes F1 on a set of images (tools/calibrate_threshold.py).

The model predicts each image (the config's test pipeline and test_cfg, probabilities kept); the vessel
probabilities of vessel and of background pixels (inside the FOV masks when the set has them, ``ignore_index``
left out) are counted in ``bins`` equal bins over [0, 1]. F1 at threshold t (pixels with probability >= t are
vessel) follows from the two cumulative histograms for every bin edge at once; the best edge is the threshold.
The images default to the training split (scored with the validation pipeline), never the set a reported
figure comes from.
"""
import copy
from typing import Dict

import numpy as np

from mmcv.runner import test_loops
from mmseg.core import as_seg_result
from mmseg.datasets import build_dataloader, build_dataset

from .cross_validation import training_images_scored
from .testing import build_test_model
from .train import wrap_model


def f1_curve(vessel_counts: np.ndarray, background_counts: np.ndarray):
    """(thresholds, F1 at each): bin edges 0 .. 1 - 1/bins; a pixel is vessel when its probability >= t,
    i.e. falls in the bin that starts at t or above (test_cfg.threshold applies the same rule)."""
    bins = len(vessel_counts)
    tp = np.cumsum(vessel_counts[::-1])[::-1]  # tp[i]: vessel pixels in bins i.. (probability >= i / bins)
    fp = np.cumsum(background_counts[::-1])[::-1]
    fn = vessel_counts.sum() - tp
    with np.errstate(invalid='ignore', divide='ignore'):
        f1 = 2 * tp / (2 * tp + fp + fn)
    thresholds = np.arange(bins) / bins
    return thresholds, np.nan_to_num(f1, nan=0.0)


def calibrate_threshold(cfg, checkpoint: str, split: str = 'train', bins: int = 1000) -> Dict[str, float]:
    """``{'value', 'f1', 'f1_at_0.5', 'source', 'images', 'bins'}`` for ``cfg``'s model with ``checkpoint``."""
    if not isinstance(bins, int) or isinstance(bins, bool) or bins < 10 or bins % 2:
        raise ValueError(f'bins must be an even int >= 10 (0.5 must be a bin edge for the F1 at 0.5), got {bins!r}')
    if split not in ('train', 'val'):
        raise ValueError(f"split must be 'train' or 'val', got {split!r}")
    cfg = copy.deepcopy(cfg)
    cfg.model.test_cfg = dict(cfg.model.get('test_cfg') or {}, threshold=None)
    ds_cfg = training_images_scored(cfg) if split == 'train' else copy.deepcopy(dict(cfg.data.val))
    dataset = build_dataset(ds_cfg, dict(test_mode=True))
    loader = build_dataloader(dataset, samples_per_gpu=1, workers_per_gpu=cfg.data.get('workers_per_gpu', 2),
                              dist=False, shuffle=False)
    model = build_test_model(cfg, checkpoint)
    if getattr(model, 'num_classes', 2) != 2:
        raise ValueError(f'a threshold is for two-class (vessel) models; this one has {model.num_classes} classes')
    results = test_loops.single_gpu_test(wrap_model(model, cfg, False), loader,
                                         forward_kwargs=dict(rescale=True, return_prob=True))
    vessel, background = np.zeros(bins, np.int64), np.zeros(bins, np.int64)
    ignore = getattr(dataset, 'ignore_index', 255)
    for index, pred in enumerate(results):
        prob = np.asarray(as_seg_result(pred, f'image {index}').prob, dtype=np.float32)
        gt = dataset.get_gt_seg_map_by_idx(index)
        keep = gt != ignore
        fov = dataset.get_fov_mask_by_idx(index)
        if fov is not None:
            keep &= np.asarray(fov) > 0
        which = np.minimum((prob * bins).astype(np.int64), bins - 1)
        vessel += np.bincount(which[keep & (gt == 1)], minlength=bins)
        background += np.bincount(which[keep & (gt == 0)], minlength=bins)
    thresholds, f1 = f1_curve(vessel, background)
    best = int(np.argmax(f1))
    half = bins // 2
    source = (f'the {len(dataset)} training images' if split == 'train' else f'the {len(dataset)} validation images')
    return {'value': float(thresholds[best]), 'f1': float(f1[best]), 'f1_at_0.5': float(f1[half]), 'source': source,
            'images': len(dataset), 'bins': bins}
