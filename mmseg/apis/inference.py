"""Single-image inference: build a model from a config and checkpoint, predict, draw."""
from typing import Optional, Union

import numpy as np
import torch

from mmcv.config import Config
from mmseg.apis.testing import build_test_model
from mmseg.core.visualization import color_mask, error_overlay
from mmseg.datasets.pipelines import Compose


def init_segmentor(config: Union[str, Config], checkpoint: Optional[str] = None, device: str = 'cpu'):
    """Build the segmentor of ``config``, load ``checkpoint`` and move it to ``device`` in eval mode."""
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    model = build_test_model(cfg, checkpoint)
    model.cfg = cfg
    return model.to(device)


def _test_pipeline(cfg: Config, img) -> Compose:
    steps = [dict(s) for s in cfg.data.test.pipeline]
    if not isinstance(img, str):
        steps[0] = dict(type='LoadImageFromWebcam')
    return Compose(steps)


def inference_segmentor(model, img: Union[str, np.ndarray], return_prob: bool = False):
    """Predict one image (a path or a BGR array); returns a list with one :class:`~mmseg.core.SegResult` (its
    ``label_map``, and with ``return_prob`` its ``prob``)."""
    cfg = model.cfg
    device = next(model.parameters()).device
    pipeline = _test_pipeline(cfg, img)
    data = pipeline(dict(img_info=dict(filename=img), img_prefix=None) if isinstance(img, str) else dict(img=img))
    imgs = [t.unsqueeze(0).to(device) for t in data['img']]
    metas = [[m] for m in data['img_metas']]
    with torch.no_grad():
        return model(return_loss=False, rescale=True, img=imgs, img_metas=metas, return_prob=return_prob)


def draw_result(img_rgb: np.ndarray, pred: np.ndarray, gt: Optional[np.ndarray] = None,
                palette=None, opacity: float = 0.5) -> np.ndarray:
    """Overlay a prediction: TP/FP/FN colours when ``gt`` is given, else the class palette."""
    if gt is not None or palette is None:
        return error_overlay(img_rgb, pred, gt, opacity)
    return color_mask(img_rgb, pred, palette, opacity)
