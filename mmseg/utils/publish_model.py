"""Turn a training checkpoint into a release file (tools/publish_model.py), as mmseg 0.x does.

The optimizer, AMP scaler and RNG states and the data loader positions are dropped (only resuming needs
them); weights and meta (config, classes, palette, iteration) stay. The file is named
``<out stem>-<first 8 hex digits of its sha256>.pth`` and written atomically.

The input is loaded and checked as tools/test.py loads a checkpoint (weights-only unpickling, every
floating tensor finite): a file that test refuses is never published.
"""
import hashlib
import io
import os.path as osp

import torch

from mmcv.checkpoint import _load_checkpoint, check_finite
from mmcv.fileio import atomic_write, check_file_exist, mkdir_or_exist

TRAINING_ONLY_KEYS = ('optimizer', 'scaler', 'rng')
TRAINING_ONLY_META = ('data_loaders',)


def publish_checkpoint(in_file: str, out_file: str) -> str:
    """Write ``in_file`` without its training-only state as ``out_file`` with the hash in its name; returns that
    path. ``out_file`` may end with ``.pth`` (replaced by ``-<sha8>.pth``) or not (``-<sha8>.pth`` added).

    Raises FileNotFoundError, RuntimeError (not a weights-only checkpoint), FloatingPointError (NaN/Inf
    in what would be published) or ValueError (not a training checkpoint; the name is taken by a folder),
    in each case before anything is written.
    """
    check_file_exist(in_file, 'checkpoint not found: {}')
    checkpoint = _load_checkpoint(in_file, map_location='cpu')
    if not isinstance(checkpoint, dict) or 'state_dict' not in checkpoint:
        found = sorted(checkpoint) if isinstance(checkpoint, dict) else type(checkpoint).__name__
        raise ValueError(f'{in_file} is not a training checkpoint: expected a dict with "state_dict", found {found}')
    for key in TRAINING_ONLY_KEYS:
        checkpoint.pop(key, None)
    meta = checkpoint.get('meta')
    if isinstance(meta, dict):
        checkpoint['meta'] = {k: v for k, v in meta.items() if k not in TRAINING_ONLY_META}
    check_finite(checkpoint, f'checkpoint {in_file}')
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    content = buffer.getvalue()
    stem = out_file[:-len('.pth')] if out_file.endswith('.pth') else out_file
    final_file = f'{stem}-{hashlib.sha256(content).hexdigest()[:8]}.pth'
    if osp.isdir(final_file):
        raise ValueError(f'cannot publish to {final_file}: it exists and is a folder')
    mkdir_or_exist(osp.dirname(osp.abspath(final_file)))
    with atomic_write(final_file, 'wb') as f:
        f.write(content)
    return final_file
