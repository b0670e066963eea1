"""Compose: run a list of transforms (configs or callables) over one results dict."""
from typing import Callable, List, Optional, Sequence, Union

from mmcv.registry import build_from_cfg

from ..builder import PIPELINES
from .deferred import ConsumesPendingResize, DefersResize, require_consumed, require_consumer


@PIPELINES.register_module()
class Compose:
    """Apply ``transforms`` in order; a transform returning None drops the sample (None is returned).

    When a ``DefersResize`` (Resize, FOVRescale) is directly followed by a ``ConsumesPendingResize``
    (RandomCrop), its ``defer`` records a ``PendingResize`` instead of resizing, and the crop reads
    its window from the source image (the protocol is in ``deferred.py``). Every step is checked: a
    pending resize that reaches a transform other than a consumer, or the end of the pipeline, or that
    a consumer leaves pending, raises ``PendingResizeError`` naming the transform that deferred it and
    the one reached. ``allow_deferred=False`` turns deferral off, e.g. to measure its gain.
    """

    def __init__(self, transforms: Sequence[Union[dict, Callable]], allow_deferred: bool = True):
        if not isinstance(transforms, (list, tuple)):
            raise TypeError(f'transforms must be a list of configs or callables, got {type(transforms).__name__}')
        self.transforms: List[Callable] = []
        for transform in transforms:
            if isinstance(transform, dict):
                transform = build_from_cfg(transform, PIPELINES)
            elif not callable(transform):
                raise TypeError(f'a transform must be a config dict or a callable, got {transform!r}')
            self.transforms.append(transform)
        self.allow_deferred = allow_deferred
        self._deferred_steps = [
            allow_deferred and isinstance(t, DefersResize) and isinstance(nxt, ConsumesPendingResize)
            for t, nxt in zip(self.transforms, self.transforms[1:] + [None])]

    def __call__(self, data: dict) -> Optional[dict]:
        for transform, deferred in zip(self.transforms, self._deferred_steps):
            require_consumer(data, transform)
            data = transform.defer(data) if deferred else transform(data)
            if data is None:
                return None
            if not deferred:
                require_consumed(data, transform)
        require_consumer(data, None)
        return data

    def __repr__(self) -> str:
        lines = ''.join(f'\n    {t}' for t in self.transforms)
        return f'{self.__class__.__name__}(allow_deferred={self.allow_deferred},{lines}\n)'
