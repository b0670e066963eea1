"""What tools/test.py does, as one function another tool can call."""
from typing import Optional, Sequence, Tuple

import numpy as np
import torch

from mmcv.checkpoint import load_checkpoint
from mmcv.dist import get_dist_info
from mmcv.logging import print_log
from mmseg.apis.test import multi_gpu_test, single_gpu_test
from mmseg.apis.train import wrap_model
from mmseg.datasets import build_dataloader, build_dataset
from mmseg.models import build_segmentor
from mmseg.models.acceleration import accelerate_segmentor
from mmseg.utils.logger import get_root_logger


def enable_aug_test(cfg) -> None:
    """Turn on the flip and several scales of mmseg's standard multi-scale test."""
    aug = next((t for t in cfg.data.test.pipeline if t['type'] == 'MultiScaleFlipAug'), None)
    if aug is None:
        raise KeyError('--aug-test needs a MultiScaleFlipAug in data.test.pipeline')
    aug.img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
    aug.flip = True


def build_test_model(cfg, checkpoint: Optional[str] = None, partial_load: bool = False):
    """The segmentor of ``cfg`` for testing (no pretrained download) with ``checkpoint`` loaded, in eval mode.

    The checkpoint must hold every weight of the model, all finite; ``partial_load`` accepts one that
    holds only some (the others keep their random init). Its ``meta`` supplies ``CLASSES`` and
    ``PALETTE`` when it has them. ``model.test_cfg.compile`` is applied (:func:`accelerate_segmentor`).
    """
    cfg.model.pretrained = None
    cfg.model.train_cfg = None
    backbone = cfg.model.get('backbone', {})
    if backbone.get('init_cfg') is not None:
        backbone.init_cfg = None
    model = build_segmentor(cfg.model, test_cfg=cfg.get('test_cfg'))
    if checkpoint is not None:
        meta = load_checkpoint(model, checkpoint, map_location='cpu', partial=partial_load).get('meta', {})
        for key in ('CLASSES', 'PALETTE'):
            if key in meta:
                setattr(model, key, meta[key])
        use_calibrated_threshold(model, meta, checkpoint)
    return accelerate_segmentor(model).eval()


def use_calibrated_threshold(model, meta: dict, checkpoint: str) -> None:
    """``test_cfg.threshold='calibrated'``: the value tools/calibrate_threshold.py stored in ``meta``."""
    if (model.test_cfg or {}).get('threshold') != 'calibrated':
        return
    stored = meta.get('threshold')
    if not isinstance(stored, dict) or not isinstance(stored.get('value'), (int, float)):
        raise ValueError(f"test_cfg.threshold='calibrated' but {checkpoint} holds no calibrated threshold: run "
                         f'python tools/calibrate_threshold.py CONFIG {checkpoint} first, and test its output')
    model.test_cfg['threshold'] = float(stored['value'])
    print_log(f"test_cfg.threshold='calibrated': {stored['value']:.4f}, stored in {checkpoint} "
              f"(F1 {100 * stored.get('f1', float('nan')):.2f} at it on {stored.get('source', '?')}, "
              f"{100 * stored.get('f1_at_0.5', float('nan')):.2f} at 0.5)", logger='mmseg')


def build_test_loader(cfg, distributed: bool = False):
    """The loader of ``cfg.data.test``: one image per step, dataset order, ``data.test_dataloader`` overrides."""
    cfg.data.test.test_mode = True
    loader_cfg = dict(samples_per_gpu=1, workers_per_gpu=cfg.data.get('workers_per_gpu', 2), dist=distributed,
                      shuffle=False)
    loader_cfg.update(cfg.data.get('test_dataloader', {}))
    return build_dataloader(build_dataset(cfg.data.test), **loader_cfg)


def run_test(cfg, checkpoint: str, distributed: bool = False, aug_test: bool = False,
             eval_metrics: Optional[Sequence[str]] = None, eval_options: Optional[dict] = None,
             keep_raw: bool = False, show_dir: Optional[str] = None, opacity: float = 0.5,
             tmpdir: Optional[str] = None, gpu_collect: bool = False,
             partial_load: bool = False,
             format_dir: Optional[str] = None) -> Tuple[Optional[list], Optional[dict], Optional[list]]:
    """Predict the test set of ``cfg`` with ``checkpoint``; returns (label maps or None, metrics or None,
    per-image figures or None). The metrics are the flat dict of floats of ``dataset.evaluate``; the
    per-image figures (with ``eval_metrics``) one dict per image, ``dataset.per_image_results``.

    The checkpoint is loaded first and refused if it does not cover the model (unless ``partial_load``)
    or holds NaN/Inf weights.

    With ``eval_metrics`` and no ``keep_raw`` only per-image confusion records are kept (flat memory);
    ``keep_raw`` returns the label map of every image (int64 [H, W], dataset order), as ``--out`` stores them.
    ``format_dir`` receives the predictions as label PNGs (``dataset.format_results``, mmseg's
    ``--format-only``).
    """
    if aug_test:
        enable_aug_test(cfg)
    if cfg.get('cudnn_benchmark', False):
        torch.backends.cudnn.benchmark = True
    model = wrap_model(build_test_model(cfg, checkpoint, partial_load), cfg, distributed)
    data_loader = build_test_loader(cfg, distributed)
    dataset = data_loader.dataset
    pre_eval = bool(eval_metrics) and not keep_raw and format_dir is None
    return_prob = bool(eval_metrics) and keep_raw  # raw outputs that are evaluated still need the FOV AUC
    if distributed:
        results = multi_gpu_test(model, data_loader, tmpdir=tmpdir, gpu_collect=gpu_collect, pre_eval=pre_eval,
                                 show_dir=show_dir, opacity=opacity, return_prob=return_prob)
    else:
        results = single_gpu_test(model, data_loader, out_dir=show_dir, opacity=opacity, pre_eval=pre_eval,
                                  return_prob=return_prob)
    rank, _ = get_dist_info()
    if rank != 0:
        return None, None, None
    if format_dir is not None:
        dataset.format_results(results, format_dir)
    metrics = per_image = None
    if eval_metrics:
        logger = get_root_logger()
        records = results if pre_eval else dataset.pre_eval(results, list(range(len(results))))  # scored once
        metrics = dataset.evaluate(records, metric=list(eval_metrics), logger=logger, **(eval_options or {}))
        metrics = {k: float(v) if hasattr(v, '__float__') else v for k, v in metrics.items()}
        per_image = dataset.per_image_results(records)
    if not keep_raw:
        return None, metrics, per_image
    return [r.label_map.astype(np.int64, copy=False) for r in results], metrics, per_image  # --out holds them
