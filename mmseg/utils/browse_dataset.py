"""What the training pipeline makes of each image, drawn for the eye (tools/browse_dataset.py).

The train dataset of a config is run through its pipeline up to (not including) the formatting steps,
Normalize is undone for display, and the label map is painted over the image with the dataset palette
(``ignore_index`` pixels stay unpainted).
"""
import copy
import os.path as osp
from typing import Iterator, List, Optional, Sequence, Tuple

import numpy as np

from mmcv.image import bgr2rgb
from mmseg.core.visualization import blend
from mmseg.datasets import build_dataset

#: formatting steps that turn arrays into tensors and drop keys: not needed to look at a sample
FORMAT_STEPS = ('DefaultFormatBundle', 'Collect', 'ImageToTensor', 'ToTensor', 'Transpose', 'ToDataContainer')


def innermost_dataset_cfgs(data_cfg) -> List[dict]:
    """The dataset configs inside wrappers (RepeatDataset's ``dataset``) and lists of datasets."""
    if isinstance(data_cfg, (list, tuple)):
        return [cfg for item in data_cfg for cfg in innermost_dataset_cfgs(item)]
    while 'dataset' in data_cfg:
        data_cfg = data_cfg['dataset']
    return [data_cfg]


def browse_pipeline(pipeline: Sequence[dict], show_origin: bool = False) -> List[dict]:
    """``pipeline`` without its formatting steps; with ``show_origin`` only the loading steps."""
    if show_origin:
        steps = [step for step in pipeline if step['type'].startswith('Load')]
    else:
        steps = [step for step in pipeline if step['type'] not in FORMAT_STEPS]
    if not steps:
        raise ValueError(f'no step of the train pipeline is left to browse: {[s["type"] for s in pipeline]}')
    return steps


def undo_normalize(img: np.ndarray, img_norm_cfg: Optional[dict]) -> np.ndarray:
    """A BGR uint8 image from the pipeline's ``img``: ``img * std + mean``, and RGB back to BGR when Normalize
    swapped the channels (``img_norm_cfg`` is what Normalize recorded; None: ``img`` is already BGR pixels)."""
    img = np.asarray(img, dtype=np.float32)
    if img_norm_cfg is not None:
        img = img * np.asarray(img_norm_cfg['std'], np.float32) + np.asarray(img_norm_cfg['mean'], np.float32)
    img = img.clip(0, 255).round().astype(np.uint8)
    if img_norm_cfg is not None and img_norm_cfg.get('to_rgb', False):
        img = np.ascontiguousarray(img[..., ::-1])
    return img


def label_overlay(img_bgr: np.ndarray, seg: np.ndarray, palette: Sequence[Sequence[int]],
                  opacity: float = 0.5) -> np.ndarray:
    """``img_bgr`` with each class of ``seg`` painted in its palette colour (RGB) at ``opacity``."""
    if seg.shape != img_bgr.shape[:2]:
        raise ValueError(f'label map of shape {seg.shape} does not match the image of shape {img_bgr.shape[:2]}')
    palette = np.asarray(palette, dtype=np.uint8)
    painted = seg < len(palette)  # ignore_index (255) and unknown ids stay unpainted
    colors = np.zeros((*seg.shape, 3), dtype=np.uint8)
    colors[painted] = palette[seg[painted]]
    return bgr2rgb(blend(bgr2rgb(img_bgr), colors, painted, opacity))


def browse_samples(cfg, show_origin: bool = False, opacity: float = 0.5) -> Iterator[Tuple[str, np.ndarray]]:
    """(image file name, BGR picture) for each image of the train set(s) of ``cfg``, once each."""
    for data_cfg in innermost_dataset_cfgs(cfg.data.train):
        data_cfg = copy.deepcopy(data_cfg)
        data_cfg['pipeline'] = browse_pipeline(data_cfg['pipeline'], show_origin)
        dataset = build_dataset(data_cfg)
        palette = dataset.PALETTE
        if palette is None:  # fixed random colours for a dataset without a palette
            palette = np.random.default_rng(42).integers(0, 256, size=(255, 3))
        for index in range(len(dataset)):
            results = dataset[index]
            if results is None:  # a transform gave up on this sample
                continue
            img = undo_normalize(results['img'], results.get('img_norm_cfg'))
            seg = results.get('gt_semantic_seg')
            if seg is not None:
                img = label_overlay(img, np.asarray(seg), palette, opacity)
            yield osp.basename(results.get('filename', dataset.img_infos[index]['filename'])), img
