"""The root logger of mmseg."""
import logging
from typing import Optional

from mmcv.logging import get_logger


def get_root_logger(log_file: Optional[str] = None, log_level: int = logging.INFO) -> logging.Logger:
    """Logger named 'mmseg'; the first call with ``log_file`` attaches the file (rank 0 only)."""
    return get_logger(name='mmseg', log_file=log_file, log_level=log_level)
