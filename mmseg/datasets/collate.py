"""Batch pipeline outputs: stack tensors, keep ``img_metas`` as (nested) lists of dicts.

Train samples hold tensors -> ``{'img': [B,3,H,W], 'gt_semantic_seg': [B,1,H,W], 'img_metas': [dict]*B}``.
Test samples hold one entry per augmentation -> ``{'img': [[B,3,H,W]]*A, 'img_metas': [[dict]*B]*A}``.
Tensors of different sizes are padded at the bottom/right to the largest (images with 0, label
maps with 255, the ignore index), as mmcv's collate does.
"""
from typing import Any, Dict, List, Sequence

import torch
import torch.nn.functional as F
from torch.utils.data.dataloader import default_collate

PAD_VALUES = {'gt_semantic_seg': 255}


def _stack(tensors: Sequence[torch.Tensor], pad_value: float) -> torch.Tensor:
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) == 1:
        return torch.stack(list(tensors))
    if len({t.shape[:-2] for t in tensors}) != 1:
        raise ValueError(f'cannot batch tensors whose leading dimensions differ: {sorted(shapes)}')
    height = max(t.shape[-2] for t in tensors)
    width = max(t.shape[-1] for t in tensors)
    return torch.stack([F.pad(t, (0, width - t.shape[-1], 0, height - t.shape[-2]), value=pad_value)
                        for t in tensors])


def _collate_field(key: str, values: List[Any]) -> Any:
    first = values[0]
    if key == 'img_metas':
        if isinstance(first, dict):
            return list(values)
        return [list(per_aug) for per_aug in zip(*values)]
    if isinstance(first, torch.Tensor):
        return _stack(values, PAD_VALUES.get(key, 0))
    if isinstance(first, (list, tuple)) and first and isinstance(first[0], torch.Tensor):
        return [_stack(per_aug, PAD_VALUES.get(key, 0)) for per_aug in zip(*values)]
    return default_collate(values)


def collate(batch: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """Merge a list of pipeline outputs (dicts with the same keys) into one batch dict."""
    if not batch:
        raise ValueError('cannot collate an empty batch')
    keys = batch[0].keys()
    for sample in batch[1:]:
        if sample.keys() != keys:
            raise KeyError(f'samples of one batch have different keys: {sorted(keys)} vs {sorted(sample.keys())}')
    return {key: _collate_field(key, [sample[key] for sample in batch]) for key in keys}
