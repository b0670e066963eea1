"""``model.test_cfg.autocast``: inference (``encode_decode``) under bf16 autocast, logits back in float32.

``'bf16'`` always; ``'auto'`` where the input's device computes bf16 natively (CUDA with bf16 support, a CPU
with AMX-BF16 or AVX512-BF16: :func:`mmcv.runner.precision.native_bf16`), float32 elsewhere, decided at the
first call per device type and logged once. The logits are returned as float32, so softmax, the slide
averaging, resizing and the metrics run as without it.
"""
import logging
from typing import Any, Callable, Dict, Optional

import torch

from mmcv.runner.precision import native_bf16

logger = logging.getLogger('mmseg.models')
VALUES = (None, False, 'bf16', 'auto')


def check_autocast(value: Any, key: str = 'test_cfg.autocast') -> Optional[str]:
    """``value`` checked: None/False (off), 'bf16' or 'auto'."""
    if value not in VALUES:
        raise ValueError(f"{key} must be None, 'bf16' or 'auto', got {value!r}")
    return value or None


class AutocastCall:
    """Calls ``fn(img, ...)`` under ``torch.autocast(img.device.type, bfloat16)`` when the setting asks for it."""

    def __init__(self, fn: Callable, setting: str):
        self.fn = fn
        self.setting = setting
        self._decided: Dict[str, bool] = {}

    def _use_bf16(self, device_type: str) -> bool:
        if device_type not in self._decided:
            if self.setting == 'bf16':
                self._decided[device_type] = True
            else:
                native, why = native_bf16(device_type)
                self._decided[device_type] = native
                logger.info(f'inference precision (test_cfg.autocast=auto) on {device_type}: '
                            f'{"bf16 autocast" if native else "float32"}, {why}')
        return self._decided[device_type]

    def __call__(self, img: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        if not self._use_bf16(img.device.type):
            return self.fn(img, *args, **kwargs)
        with torch.autocast(img.device.type, dtype=torch.bfloat16, cache_enabled=False):
            out = self.fn(img, *args, **kwargs)
        return out.float()
