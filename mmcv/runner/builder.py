"""Registries of runners and hooks, and the runner builder."""
from typing import Any, Optional

from mmcv.registry import Registry

RUNNERS = Registry('runner')
HOOKS = Registry('hook')


def build_runner(cfg: dict, default_args: Optional[dict] = None) -> Any:
    """Build a runner from ``cfg`` (e.g. ``dict(type='IterBasedRunner', max_iters=40000)``)."""
    return RUNNERS.build(dict(cfg), default_args)
