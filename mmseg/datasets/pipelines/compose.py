"""Compose: run a list of transforms (configs or callables) over one results dict."""
from typing import Callable, List, Optional, Sequence, Union

from mmcv.registry import build_from_cfg

from ..builder import PIPELINES


@PIPELINES.register_module()
class Compose:
    """Apply ``transforms`` in order; a transform returning None drops the sample (None is returned).

    When a transform with a ``defer`` method (Resize) is followed by one that declares
    ``accepts_deferred_resize`` (RandomCrop), the resize is recorded instead of done and the crop
    reads its window from the source image (see ``deferred.py``). ``allow_deferred=False`` turns
    this off, e.g. to measure its gain.
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
            allow_deferred and hasattr(t, 'defer') and getattr(nxt, 'accepts_deferred_resize', False)
            for t, nxt in zip(self.transforms, self.transforms[1:] + [None])]

    def __call__(self, data: dict) -> Optional[dict]:
        for transform, deferred in zip(self.transforms, self._deferred_steps):
            data = transform.defer(data) if deferred else transform(data)
            if data is None:
                return None
        return data

    def __repr__(self) -> str:
        lines = ''.join(f'\n    {t}' for t in self.transforms)
        return f'{self.__class__.__name__}(allow_deferred={self.allow_deferred},{lines}\n)'
