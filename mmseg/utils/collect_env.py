"""Describe the software and hardware a run used (written into logs and checkpoints)."""
import platform
import sys
from collections import OrderedDict

import cv2
import numpy as np
import torch


def collect_env() -> 'OrderedDict[str, str]':
    """Versions of Python, PyTorch, CUDA, OpenCV, NumPy, mmseg and the compiled ops, and the devices seen."""
    import mmcv
    import mmseg
    env = OrderedDict()
    env['sys.platform'] = sys.platform
    env['Python'] = sys.version.replace('\n', '')
    env['CPU'] = f'{platform.processor() or platform.machine()} ({torch.get_num_threads()} torch threads)'
    env['CUDA available'] = str(torch.cuda.is_available())
    if torch.cuda.is_available():
        names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        for name in sorted(set(names)):
            env[f'GPU {",".join(str(i) for i, n in enumerate(names) if n == name)}'] = name
        env['CUDA (torch build)'] = str(torch.version.cuda)
        env['cuDNN'] = str(torch.backends.cudnn.version())
    env['PyTorch'] = torch.__version__
    env['NumPy'] = np.__version__
    env['OpenCV'] = cv2.__version__
    env['mmcv'] = mmcv.__version__
    env['mmseg'] = mmseg.__version__
    try:
        from mmcv.ops import get_backend
        env['mmcv ops (cpu)'] = get_backend('cpu')
    except ImportError:
        env['mmcv ops (cpu)'] = 'unavailable'
    return env


def env_text() -> str:
    """``collect_env`` as ``key: value`` lines."""
    return '\n'.join(f'{k}: {v}' for k, v in collect_env().items())
