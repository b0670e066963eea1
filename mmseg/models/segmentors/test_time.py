"""Test-time options of a segmentor: how slide windows are blended (``test_cfg.blend``) and the dihedral
test-time augmentation (``test_cfg.tta``)."""
from typing import Optional, Tuple

import numpy as np
import torch

BLENDS = ('uniform', 'gaussian')
TTAS = (None, 'dihedral')
#: the 8 symmetries of the square as (quarter turns, flip first): identity, 3 rotations, and each after a flip
DIHEDRAL_VIEWS: Tuple[Tuple[int, bool], ...] = tuple((turns, flip) for flip in (False, True) for turns in range(4))


def check_blend(blend: str) -> str:
    if blend not in BLENDS:
        raise ValueError(f"test_cfg.blend must be 'uniform' (plain mean of the windows) or 'gaussian' (windows "
                         f'weighted towards their centres), got {blend!r}')
    return blend


def check_tta(tta: Optional[str]) -> Optional[str]:
    if tta not in TTAS:
        raise ValueError(f"test_cfg.tta must be None or 'dihedral' (mean over the 8 flips and quarter turns), "
                         f'got {tta!r}')
    return tta


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


def dihedral_view(img: torch.Tensor, turns: int, flip: bool) -> torch.Tensor:
    """``img`` [N, C, H, W] flipped left-right (if ``flip``), then turned by ``turns`` quarter turns."""
    return torch.rot90(img.flip(3) if flip else img, turns, dims=(2, 3))


def undo_dihedral_view(img: torch.Tensor, turns: int, flip: bool) -> torch.Tensor:
    """The inverse of :func:`dihedral_view`: maps a view's prediction back onto the input's pixels."""
    img = torch.rot90(img, -turns, dims=(2, 3))
    return img.flip(3) if flip else img
