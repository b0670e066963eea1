"""Utilities: environment report, root logger, synthetic DRIVE-format data."""
from .collect_env import collect_env, env_text
from .logger import get_root_logger
from .synthetic import make_synthetic_drive, synthetic_fundus

__all__ = ['collect_env', 'env_text', 'get_root_logger', 'make_synthetic_drive', 'synthetic_fundus']
