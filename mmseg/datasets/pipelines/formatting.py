"""Turn the results dict into what the model takes: tensors plus a dict of meta information."""
from typing import Sequence

import numpy as np
import torch

from ..builder import PIPELINES

DEFAULT_META_KEYS = ('filename', 'ori_filename', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor', 'flip',
                     'flip_direction', 'img_norm_cfg')


def to_tensor(array: np.ndarray) -> torch.Tensor:
    """A tensor sharing memory with ``array`` when it is contiguous and writable, else with a copy."""
    if not (array.flags.c_contiguous and array.flags.writeable):
        array = np.array(array, order='C')
    return torch.from_numpy(array)


def image_to_tensor(img: np.ndarray) -> torch.Tensor:
    """HxW or HxWxC array -> CxHxW tensor."""
    if img.ndim < 3:
        img = img[..., None]
    return to_tensor(img.transpose(2, 0, 1))


@PIPELINES.register_module()
class DefaultFormatBundle:
    """``img`` -> CxHxW tensor (dtype kept), ``gt_semantic_seg`` -> 1xHxW int64 tensor."""

    def __call__(self, results: dict) -> dict:
        if 'img' in results:
            results['img'] = image_to_tensor(results['img'])
        if 'gt_semantic_seg' in results:
            results['gt_semantic_seg'] = torch.from_numpy(results['gt_semantic_seg'][None].astype(np.int64))
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}()'


@PIPELINES.register_module()
class ImageToTensor:
    """Convert the images under ``keys`` to CxHxW tensors."""

    def __init__(self, keys: Sequence[str]):
        self.keys = list(keys)

    def __call__(self, results: dict) -> dict:
        for key in self.keys:
            results[key] = image_to_tensor(results[key])
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(keys={self.keys})'


@PIPELINES.register_module()
class Collect:
    """Keep only ``keys`` and put ``meta_keys`` into ``img_metas`` (a dict the model reads)."""

    def __init__(self, keys: Sequence[str], meta_keys: Sequence[str] = DEFAULT_META_KEYS):
        self.keys = list(keys)
        self.meta_keys = list(meta_keys)

    def __call__(self, results: dict) -> dict:
        missing = [k for k in self.keys + self.meta_keys if k not in results]
        if missing:
            raise KeyError(f'Collect: keys {missing} are not in the results (present: {sorted(results)}); '
                           'add the transform that sets them or drop them from keys/meta_keys')
        data = {'img_metas': {key: results[key] for key in self.meta_keys}}
        for key in self.keys:
            data[key] = results[key]
        return data

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(keys={self.keys}, meta_keys={self.meta_keys})'
