"""Pictures of predictions: coloured masks and true/false positive/negative overlays."""
from typing import Optional, Sequence

import numpy as np

from mmcv.image import imread, imwrite

TP_COLOR = (0, 200, 0)    # RGB: predicted foreground that is foreground
FP_COLOR = (230, 30, 30)  # predicted foreground that is background (or another class)
FN_COLOR = (40, 90, 255)  # foreground that the prediction missed


def blend(img_rgb: np.ndarray, color_map: np.ndarray, mask: np.ndarray, opacity: float) -> np.ndarray:
    """``img_rgb`` with ``color_map`` mixed in at ``opacity`` wherever ``mask`` is set."""
    out = img_rgb.astype(np.float32)
    out[mask] = (1 - opacity) * out[mask] + opacity * color_map[mask].astype(np.float32)
    return out.clip(0, 255).astype(np.uint8)


def error_overlay(img_rgb: np.ndarray, pred: np.ndarray, gt: Optional[np.ndarray], opacity: float = 0.5,
                  ignore_index: int = 255) -> np.ndarray:
    """Colour TP green, FP red and FN blue over ``img_rgb``; without ``gt`` every foreground pixel is green."""
    if pred.shape != img_rgb.shape[:2]:
        raise ValueError(f'prediction shape {pred.shape} differs from image shape {img_rgb.shape[:2]}')
    colors = np.zeros_like(img_rgb)
    if gt is None:
        fg = pred > 0
        colors[fg] = TP_COLOR
        return blend(img_rgb, colors, fg, opacity)
    valid = gt != ignore_index
    tp = valid & (pred > 0) & (pred == gt)
    fp = valid & (pred > 0) & (pred != gt)
    fn = valid & (gt > 0) & (pred == 0)
    colors[tp], colors[fp], colors[fn] = TP_COLOR, FP_COLOR, FN_COLOR
    return blend(img_rgb, colors, tp | fp | fn, opacity)


def color_mask(img_rgb: np.ndarray, pred: np.ndarray, palette: Sequence[Sequence[int]],
               opacity: float = 0.5) -> np.ndarray:
    """Paint each class of ``pred`` with its palette colour (class 0 left as is)."""
    colors = np.asarray(palette, dtype=np.uint8)[pred]
    return blend(img_rgb, colors, pred > 0, opacity)


def save_error_overlay(img_path: str, pred: np.ndarray, gt: Optional[np.ndarray], out_file: str,
                       opacity: float = 0.5) -> None:
    """Read ``img_path``, draw :func:`error_overlay` and write it to ``out_file`` atomically."""
    img = imread(img_path, channel_order='rgb')
    overlay = error_overlay(img, pred, gt, opacity)
    imwrite(overlay[..., ::-1], out_file)
