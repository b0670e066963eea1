"""Save and load checkpoints: model weights, optimizer, AMP scaler, RNG states and meta data.

Every checkpoint written here loads with ``torch.load(weights_only=True)``: it holds only tensors,
numbers, strings and plain containers (RNG states, config text and environment info included), and
loading never unpickles arbitrary objects. Files are written atomically, so a crash while saving
leaves the previous file intact.
"""
import logging
import os.path as osp
import pickle
import random
import re
import time
from collections import OrderedDict
from typing import Any, Dict, Optional, Sequence, Tuple, Union
from urllib.parse import urlparse

import numpy as np
import torch
import torch.nn as nn

import mmcv
from mmcv.fileio import atomic_write, mkdir_or_exist
from mmcv.logging import print_log
from mmcv.parallel import unwrap_model

TORCHVISION_PREFIX = 'torchvision://'
_PLAIN_TYPES = (bool, int, float, str, torch.Tensor, torch.dtype, torch.device, torch.Size)


def weights_to_cpu(state_dict: Dict[str, torch.Tensor]) -> 'OrderedDict[str, torch.Tensor]':
    """A copy of ``state_dict`` with every tensor on the CPU."""
    return OrderedDict((key, value.cpu()) for key, value in state_dict.items())


def get_state_dict(module: nn.Module) -> 'OrderedDict[str, torch.Tensor]':
    """The state dict of ``module`` without wrapper prefixes (DataParallel, DDP, torch.compile)."""
    return unwrap_model(module).state_dict()


def get_rng_state() -> dict:
    """The states of the python, numpy, torch and CUDA generators, as weights_only-safe values."""
    version, keys, gauss_next = random.getstate()
    _, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state(legacy=True)
    state = {
        'python': (version, list(keys), gauss_next),
        'numpy': {'keys': torch.from_numpy(np_keys.astype(np.int64)), 'pos': int(np_pos),
                  'has_gauss': int(np_has_gauss), 'cached_gaussian': float(np_gauss)},
        'torch': torch.get_rng_state(),
        'cuda': [],
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore the generators from a :func:`get_rng_state` result (tensors may be on any device)."""
    version, keys, gauss_next = state['python']
    random.setstate((version, tuple(keys), gauss_next))
    np_state = state['numpy']
    np.random.set_state(('MT19937', np_state['keys'].cpu().numpy().astype(np.uint32), np_state['pos'],
                         np_state['has_gauss'], np_state['cached_gaussian']))
    torch.set_rng_state(state['torch'].cpu())
    cuda_states = state.get('cuda') or []
    if cuda_states and torch.cuda.is_available() and len(cuda_states) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([s.cpu() for s in cuda_states])


def _to_plain(obj: Any) -> Any:
    """``obj`` with everything weights_only refuses turned into tensors, numbers or text."""
    if obj is None or isinstance(obj, _PLAIN_TYPES):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray) and obj.dtype.kind in 'biuf':
        return torch.from_numpy(np.ascontiguousarray(obj))
    if isinstance(obj, dict):
        return {key if isinstance(key, (str, int)) else str(key): _to_plain(value) for key, value in obj.items()}
    if type(obj) is tuple:
        return tuple(_to_plain(value) for value in obj)
    if isinstance(obj, (list, tuple)):  # lists, and named tuples as lists
        return [_to_plain(value) for value in obj]
    if hasattr(obj, 'pretty_text'):  # a Config: keep its text
        return obj.pretty_text
    return str(obj)


def _optimizer_state(optimizer: Union[torch.optim.Optimizer, Dict[str, torch.optim.Optimizer]]) -> dict:
    if isinstance(optimizer, dict):
        return {name: opt.state_dict() for name, opt in optimizer.items()}
    return optimizer.state_dict()


def save_checkpoint(model: nn.Module, filename: str, optimizer=None, meta: Optional[dict] = None,
                    scaler=None) -> None:
    """Write ``model``'s weights (on CPU, wrappers stripped) and the training state to ``filename``.

    Args:
        model: the model, wrapped or not.
        filename: the file to write; its folder is created. Written atomically.
        optimizer: an optimizer or a dict of them; its state is stored under 'optimizer'.
        meta: extra information (iteration, epoch, config text, environment...); a Config object
            is stored as its text, other objects weights_only cannot load as ``str``.
        scaler: an AMP GradScaler whose state is stored under 'scaler'.
    """
    if meta is not None and not isinstance(meta, dict):
        raise TypeError(f'meta must be a dict or None, got {type(meta).__name__}')
    meta = dict(meta or {})
    meta.setdefault('mmcv_version', mmcv.__version__)
    meta['time'] = time.asctime()
    checkpoint = {'meta': _to_plain(meta), 'state_dict': weights_to_cpu(get_state_dict(model)),
                  'rng': get_rng_state()}
    if optimizer is not None:
        checkpoint['optimizer'] = _optimizer_state(optimizer)
    if scaler is not None:
        checkpoint['scaler'] = scaler.state_dict()
    mkdir_or_exist(osp.dirname(osp.abspath(filename)))
    with atomic_write(filename, 'wb') as f:
        torch.save(checkpoint, f)


def _torchvision_weights_path(name: str) -> str:
    """Where torch hub keeps the file of ``torchvision://name`` ('resnet34' or 'resnet34.imagenet1k_v1')."""
    from torchvision.models import get_model_weights
    arch, _, tag = name.partition('.')
    try:
        weights_enum = get_model_weights(arch)
    except ValueError:
        raise KeyError(f'{TORCHVISION_PREFIX}{name}: torchvision has no model named {arch!r}') from None
    tag = tag.upper() or ('IMAGENET1K_V1' if 'IMAGENET1K_V1' in weights_enum.__members__ else 'DEFAULT')
    if tag not in weights_enum.__members__:
        raise KeyError(f'{TORCHVISION_PREFIX}{name}: {arch} has no weights {tag!r}; '
                       f'choose one of {", ".join(weights_enum.__members__)}')
    url = weights_enum[tag].url
    path = osp.join(torch.hub.get_dir(), 'checkpoints', osp.basename(urlparse(url).path))
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{TORCHVISION_PREFIX}{name}: the weights file is not in the torch hub cache, looked for {path}. '
            f'Nothing is downloaded here: fetch {url} where there is internet and copy it to that path '
            '(the folder follows $TORCH_HOME), or give a local file path instead.')
    return path


def _resolve(filename: str) -> str:
    if filename.startswith(TORCHVISION_PREFIX):
        return _torchvision_weights_path(filename[len(TORCHVISION_PREFIX):])
    if '://' in filename:
        raise ValueError(f'cannot load {filename}: only local files and {TORCHVISION_PREFIX}NAME are supported '
                         '(nothing is downloaded); download the file and give its path')
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file {filename} does not exist')
    return filename


def _load_checkpoint(filename: str, map_location=None) -> Any:
    """Load ``filename`` (a path or ``torchvision://NAME`` from the hub cache) with weights_only=True."""
    path = _resolve(str(filename))
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        raise RuntimeError(
            f'cannot load {path} with weights_only=True: it holds objects other than tensors, numbers, strings '
            'and plain containers, or it was not written by torch.save. Re-save only the state_dict '
            '(torch.save(model.state_dict(), path)).') from e
    except (EOFError, KeyError) as e:
        raise RuntimeError(f'cannot load checkpoint {path}: the file is truncated or not a PyTorch checkpoint') from e
    except RuntimeError as e:
        reason = str(e).splitlines()[0]
        if 'zip archive' in reason or 'PytorchStreamReader' in reason:
            reason = f'the file is truncated or not a PyTorch checkpoint ({reason})'
        raise RuntimeError(f'cannot load checkpoint {path}: {reason}') from e


def load_state_dict(module: nn.Module, state_dict: Dict[str, torch.Tensor], strict: bool = False,
                    logger=None, source: str = 'state_dict') -> None:
    """Copy ``state_dict`` into ``module``, reporting missing, unexpected and wrongly shaped keys.

    With ``strict`` any of them is an error (RuntimeError); otherwise they are logged as a warning
    and the matching keys are loaded.
    """
    own = module.state_dict()
    mismatched = [(key, tuple(value.shape), tuple(own[key].shape)) for key, value in state_dict.items()
                  if key in own and isinstance(value, torch.Tensor) and value.shape != own[key].shape]
    skip = {key for key, _, _ in mismatched}
    result = module.load_state_dict({k: v for k, v in state_dict.items() if k not in skip}, strict=False)
    problems = []
    if result.unexpected_keys:
        problems.append(f'unexpected keys in {source}: {", ".join(result.unexpected_keys)}')
    missing = [key for key in result.missing_keys if key not in skip]
    if missing:
        problems.append(f'missing keys in {source}: {", ".join(missing)}')
    for key, theirs, ours in mismatched:
        problems.append(f'size mismatch for {key}: {theirs} in {source}, {ours} in the model')
    if not problems:
        return
    message = f'while loading {source} into {type(module).__name__}:\n' + '\n'.join(problems)
    if strict:
        raise RuntimeError(message)
    print_log(message, logger=logger, level=logging.WARNING)


def load_checkpoint(model: nn.Module, filename: str, map_location='cpu', strict: bool = False, logger=None,
                    revise_keys: Sequence[Tuple[str, str]] = ((r'^module\.', ''),)) -> dict:
    """Load the weights of ``filename`` into ``model`` (wrapped or not) and return the whole checkpoint.

    Args:
        model: the model to fill.
        filename: a checkpoint written by :func:`save_checkpoint`, a file holding a bare state_dict,
            or ``torchvision://NAME`` (read from the torch hub cache, never downloaded).
        map_location: where tensors are loaded (``torch.load``'s argument).
        strict: raise on missing, unexpected or wrongly shaped keys instead of warning.
        logger: where warnings go (see :func:`mmcv.logging.print_log`).
        revise_keys: (regex, replacement) pairs applied to every key; by default drops 'module.'.
    """
    checkpoint = _load_checkpoint(filename, map_location)
    if not isinstance(checkpoint, dict):
        raise TypeError(f'{filename} holds a {type(checkpoint).__name__}, expected a checkpoint dict or a '
                        'state_dict')
    state_dict = checkpoint.get('state_dict', checkpoint)
    for pattern, replacement in revise_keys:
        state_dict = OrderedDict((re.sub(pattern, replacement, key), value) for key, value in state_dict.items())
    load_state_dict(unwrap_model(model), state_dict, strict=strict, logger=logger, source=str(filename))
    return checkpoint
