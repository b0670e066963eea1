"""Find the compiled extension ``mmcv._ext`` and decide, per device, whether it or the PyTorch fallback runs.

The extension is optional: a pure-Python install (``MMCV_WITH_OPS=0``), a failed build or a binary built
against another torch all leave the ops working through their PyTorch implementations. Setting
``MMCV_DISABLE_EXT=1`` forces those implementations even when the extension is there.
"""
import functools
import importlib
import os
from types import ModuleType
from typing import Optional, Tuple, Union

import torch

DISABLE_ENV = 'MMCV_DISABLE_EXT'


@functools.lru_cache(maxsize=None)
def _import_ext() -> Tuple[Optional[ModuleType], Optional[str]]:
    try:
        return importlib.import_module('mmcv._ext'), None
    except (ImportError, OSError) as err:
        return None, f'{type(err).__name__}: {err}'


def ext_disabled() -> bool:
    """True when ``MMCV_DISABLE_EXT`` is set to something other than '', '0', 'false', 'no' or 'off'."""
    return os.environ.get(DISABLE_ENV, '').strip().lower() not in ('', '0', 'false', 'no', 'off')


def load_ext() -> Optional[ModuleType]:
    """``mmcv._ext``, or None when it is not built, cannot be loaded, or is disabled by MMCV_DISABLE_EXT."""
    if ext_disabled():
        return None
    return _import_ext()[0]


def ext_load_error() -> Optional[str]:
    """Why ``mmcv._ext`` could not be imported (None when it imports), to tell users what to rebuild."""
    return _import_ext()[1]


def get_backend(device: Union[str, torch.device] = 'cpu') -> str:
    """Which implementation the ops use for tensors on ``device``: 'ext' (mmcv._ext) or 'pytorch'.

    CPU tensors run on the extension whenever it loads; CUDA tensors only when it was built with
    the CUDA kernels. Per-op dtype limits (e.g. float16 on CPU) are documented with each op.
    """
    ext = load_ext()
    device_type = torch.device(device).type
    if ext is None:
        return 'pytorch'
    if device_type == 'cpu' or (device_type == 'cuda' and ext.with_cuda()):
        return 'ext'
    return 'pytorch'
