"""Test-time options of a segmentor: how slide windows are blended (``test_cfg.blend``)."""
from typing import Optional

import numpy as np

BLENDS = ('uniform', 'gaussian')


def check_blend(blend: str) -> str:
    if blend not in BLENDS:
        raise ValueError(f"test_cfg.blend must be 'uniform' (plain mean of the windows) or 'gaussian' (windows "
                         f'weighted towards their centres), got {blend!r}')
    return blend


def window_weights(height: int, width: int, blend: str) -> Optional[np.ndarray]:
    """Per-pixel weights [height, width] of a slide window's logits: None for 'uniform' (every pixel 1),
    for 'gaussian' a 2-D Gaussian centred on the window with sigma = side / 8 per axis (as MONAI's sliding
    window inference): highest at the centre, still positive (about 2e-7) in the corners, so every pixel that
    a window covers gets a weight."""
    if check_blend(blend) == 'uniform':
        return None

    def bump(side: int) -> np.ndarray:
        offset = (np.arange(side, dtype=np.float64) - (side - 1) / 2) / (side / 8)
        return np.exp(-0.5 * offset ** 2)

    return np.outer(bump(height), bump(width)).astype(np.float32)
