"""Test-time augmentation: run the inner transforms once per (scale, flip) and gather the outputs."""
from typing import List, Optional, Sequence, Tuple, Union

from ..builder import PIPELINES
from .compose import Compose
from .transforms import as_scale_list

Scale = Tuple[int, int]


@PIPELINES.register_module()
class MultiScaleFlipAug:
    """Apply ``transforms`` at every scale, unflipped and (with ``flip``) flipped in each direction.

    Scales are ``img_scale`` (one (w, h) or a list), ``img_scale`` times each of ``img_ratios``, or,
    with ``img_scale=None``, the image's own size times each ratio. The result maps every key to a
    list with one entry per augmentation, e.g. ``{'img': [t1, t2], 'img_metas': [m1, m2]}``.
    """

    def __init__(self, transforms: Sequence[dict], img_scale: Union[Scale, List[Scale], None],
                 img_ratios: Union[float, Sequence[float], None] = None, flip: bool = False,
                 flip_direction: Union[str, Sequence[str]] = 'horizontal'):
        self.transforms = Compose(transforms)
        if isinstance(img_ratios, (int, float)):
            img_ratios = [float(img_ratios)]
        self.img_ratios = None if img_ratios is None else [float(r) for r in img_ratios]
        scales = as_scale_list(img_scale)
        if scales is None and not self.img_ratios:
            raise ValueError('MultiScaleFlipAug needs img_scale or img_ratios')
        if scales is not None and len(scales) == 1 and self.img_ratios:
            scales = [(int(scales[0][0] * r), int(scales[0][1] * r)) for r in self.img_ratios]
        self.img_scale = scales
        self.flip = flip
        self.flip_direction = [flip_direction] if isinstance(flip_direction, str) else list(flip_direction)

    def _scales(self, results: dict) -> List[Scale]:
        if self.img_scale is not None:
            return self.img_scale
        h, w = results['img'].shape[:2]
        return [(int(w * r), int(h * r)) for r in self.img_ratios]

    def __call__(self, results: dict) -> Optional[dict]:
        flips = [(False, self.flip_direction[0])]
        if self.flip:
            flips += [(True, direction) for direction in self.flip_direction]
        outputs = []
        for scale in self._scales(results):
            for flip, direction in flips:
                sample = dict(results, scale=scale, flip=flip, flip_direction=direction)
                if 'seg_fields' in results:
                    sample['seg_fields'] = list(results['seg_fields'])
                outputs.append(self.transforms(sample))
        return {key: [out[key] for out in outputs] for key in outputs[0]}

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(transforms={self.transforms}, img_scale={self.img_scale}, '
                f'img_ratios={self.img_ratios}, flip={self.flip}, flip_direction={self.flip_direction})')
