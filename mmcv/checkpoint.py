"""Save and load checkpoints: model weights, optimizer, AMP scaler, RNG states and meta data.

Every checkpoint written here loads with ``torch.load(weights_only=True)``: it holds only tensors,
numbers, strings and plain containers (RNG states, config text and environment info included), and
loading never unpickles arbitrary objects. Files are written atomically, so a crash while saving
leaves the previous file intact (and a temporary that :func:`remove_stale_temporaries` clears later).

Every floating tensor is checked for NaN/Inf before a checkpoint is written and when one is loaded
(:func:`check_finite`), and a checkpoint must hold every key of the model with its shape unless a
partial load is asked for (:func:`check_coverage`).
"""
import io
import logging
import os
import os.path as osp
import pickle
import random
import re
import time
from collections import OrderedDict
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union
from urllib.parse import urlparse

import numpy as np
import torch
import torch.nn as nn

import mmcv
from mmcv.fileio import NoSpaceError, atomic_write, is_disk_full, mkdir_or_exist
from mmcv.logging import print_log
from mmcv.parallel import unwrap_model

TORCHVISION_PREFIX = 'torchvision://'
_PLAIN_TYPES = (bool, int, float, str, torch.Tensor, torch.dtype, torch.device, torch.Size)
# What mmcv.fileio.atomic_write leaves behind when killed while writing NAME.pth: .NAME.pth.RANDOM.tmp
_CHECKPOINT_TEMPORARY = re.compile(r'\..+\.pth\.[A-Za-z0-9_]+\.tmp')
_LISTED = 10  # keys named in an error before "... and N more"


def _some(names: Sequence[str]) -> str:
    """The first names of ``names``, comma separated, with how many were left out."""
    shown = ', '.join(names[:_LISTED])
    return shown + (f' ... and {len(names) - _LISTED} more' if len(names) > _LISTED else '')


def _floating_tensors(state: Any, prefix: str = '') -> Iterator[Tuple[str, torch.Tensor]]:
    """(dotted name, tensor) for every floating or complex tensor in nested dicts, lists and tuples."""
    if isinstance(state, torch.Tensor):
        if state.is_floating_point() or state.is_complex():
            yield prefix, state
    elif isinstance(state, dict):
        for key, value in state.items():
            yield from _floating_tensors(value, f'{prefix}.{key}' if prefix else str(key))
    elif isinstance(state, (list, tuple)):
        for index, value in enumerate(state):
            yield from _floating_tensors(value, f'{prefix}.{index}' if prefix else str(index))


def nonfinite_tensors(state: Any) -> List[str]:
    """Names of the floating tensors in ``state`` (nested containers) that hold a NaN or an Inf.

    One synchronisation per device: the per-tensor flags are reduced on the device first.
    """
    by_device: Dict[torch.device, List[Tuple[str, torch.Tensor]]] = {}
    for name, tensor in _floating_tensors(state):
        by_device.setdefault(tensor.device, []).append((name, tensor))
    bad = []
    for named in by_device.values():
        flags = torch.stack([torch.isfinite(tensor.detach()).all() for _, tensor in named])
        if not bool(flags.all()):
            bad += [name for (name, _), ok in zip(named, flags.tolist()) if not ok]
    return bad


def check_finite(state: Any, source: str) -> None:
    """Raise FloatingPointError naming ``source`` and the first tensors of ``state`` with NaN or Inf."""
    bad = nonfinite_tensors(state)
    if bad:
        raise FloatingPointError(f'{source}: NaN or Inf values in {len(bad)} tensor(s): {_some(bad)}')


class KeyMatch(NamedTuple):
    """How the keys of a state_dict match a model's."""
    matched: List[str]
    missing: List[str]
    unexpected: List[str]
    mismatched: List[Tuple[str, tuple, tuple]]  # (key, shape in the state_dict, shape in the model)

    @property
    def model_keys(self) -> int:
        return len(self.matched) + len(self.missing) + len(self.mismatched)


def match_keys(module: nn.Module, state_dict: Dict[str, Any]) -> KeyMatch:
    """Compare the keys and shapes of ``state_dict`` with those of ``module.state_dict()``."""
    own = module.state_dict()
    mismatched = [(key, tuple(value.shape), tuple(own[key].shape)) for key, value in state_dict.items()
                  if key in own and isinstance(value, torch.Tensor) and value.shape != own[key].shape]
    wrong = {key for key, _, _ in mismatched}
    return KeyMatch(matched=[key for key in own if key in state_dict and key not in wrong],
                    missing=[key for key in own if key not in state_dict],
                    unexpected=[key for key in state_dict if key not in own], mismatched=mismatched)


def _describe(match: KeyMatch) -> str:
    lines = [f'{len(match.matched)} of the model\'s {match.model_keys} keys load; {len(match.missing)} missing, '
             f'{len(match.unexpected)} unexpected, {len(match.mismatched)} of another shape']
    if match.missing:
        lines.append(f'missing keys: {_some(match.missing)}')
    if match.unexpected:
        lines.append(f'unexpected keys: {_some(match.unexpected)}')
    lines += [f'size mismatch for {key}: {theirs} in the checkpoint, {ours} in the model'
              for key, theirs, ours in match.mismatched[:_LISTED]]
    if len(match.mismatched) > _LISTED:
        lines.append(f'... and {len(match.mismatched) - _LISTED} more keys of another shape')
    return '\n'.join(lines)


def _prefix_hint(module: nn.Module, match: KeyMatch) -> str:
    """A hint when the unexpected keys are mostly those of one submodule without its prefix."""
    own = set(module.state_dict())
    best, prefix = 0, ''
    for name, _ in module.named_children():
        count = sum(f'{name}.{key}' in own for key in match.unexpected)
        if count > best:
            best, prefix = count, name
    if not best or best * 2 < len(match.unexpected):
        return ''
    return (f'\nIts keys are those of model.{prefix} without the "{prefix}." prefix: to initialise only that part, '
            f'give the file as its pretrained weights (e.g. model.{prefix}.init_cfg=dict(type=\'Pretrained\', '
            'checkpoint=...)).')


def check_coverage(module: nn.Module, state_dict: Dict[str, Any], source: str = 'state_dict',
                   strict: bool = False, partial: bool = False) -> KeyMatch:
    """Raise a RuntimeError unless ``state_dict`` fits ``module``; return the key match.

    By default every key of the module must be there with its shape (unexpected extra keys are
    allowed); ``strict`` refuses extra keys too; ``partial`` only needs one key to fit.
    """
    match = match_keys(module, state_dict)
    if partial:
        refused = not match.matched and match.model_keys > 0
        advice = 'none of its keys fits this model: is it a checkpoint of another model?'
    else:
        refused = bool(match.missing or match.mismatched or (strict and match.unexpected))
        advice = ('it does not cover the model: is it a checkpoint of another model or config? To load only '
                  'the keys that fit, ask for a partial load (--partial-load).')
    if refused:
        raise RuntimeError(f'cannot load {source}: {advice}\n{_describe(match)}{_prefix_hint(module, match)}')
    return match


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

    Raises FloatingPointError, writing nothing, if a parameter, buffer or optimizer state tensor
    holds a NaN or an Inf.

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
    state = {'state_dict': get_state_dict(model)}
    if optimizer is not None:
        state['optimizer'] = _optimizer_state(optimizer)
    check_finite(state, f'{filename} was not written')
    meta = dict(meta or {})
    meta.setdefault('mmcv_version', mmcv.__version__)
    meta['time'] = time.asctime()
    checkpoint = {'meta': _to_plain(meta), 'state_dict': weights_to_cpu(state['state_dict']),
                  'rng': get_rng_state()}
    if optimizer is not None:
        checkpoint['optimizer'] = state['optimizer']
    if scaler is not None:
        checkpoint['scaler'] = scaler.state_dict()
    mkdir_or_exist(osp.dirname(osp.abspath(filename)))
    # serialized in memory first: a full disk then fails in a plain write with errno ENOSPC (torch's
    # own writer reports it as an 'enforce fail' naming neither file nor cause)
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    try:
        with atomic_write(filename, 'wb') as f:
            f.write(buffer.getbuffer())
    except OSError as e:
        if is_disk_full(e):
            raise NoSpaceError(filename, 'checkpoint') from None
        raise


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
                    logger=None, source: str = 'state_dict', partial: bool = False) -> None:
    """Copy ``state_dict`` into ``module`` after :func:`check_coverage` accepted it.

    By default every key of the module must be in ``state_dict`` with its shape and extra keys are
    logged as a warning; ``strict`` refuses extra keys; ``partial`` loads the keys that fit and
    warns about the others (RuntimeError if none fits).
    """
    match = check_coverage(module, state_dict, source, strict=strict, partial=partial)
    if match.missing or match.unexpected or match.mismatched:
        print_log(f'loading {source} into {type(module).__name__}: {_describe(match)}',
                  logger=logger, level=logging.WARNING)
    module.load_state_dict({key: state_dict[key] for key in match.matched}, strict=False)


def load_checkpoint(model: nn.Module, filename: str, map_location='cpu', strict: bool = False, logger=None,
                    revise_keys: Sequence[Tuple[str, str]] = ((r'^module\.', ''),), partial: bool = False) -> dict:
    """Load the weights of ``filename`` into ``model`` (wrapped or not) and return the whole checkpoint.

    Args:
        model: the model to fill.
        filename: a checkpoint written by :func:`save_checkpoint`, a file holding a bare state_dict,
            or ``torchvision://NAME`` (read from the torch hub cache, never downloaded).
        map_location: where tensors are loaded (``torch.load``'s argument).
        strict: also refuse keys the model does not have (missing or wrongly shaped keys are
            always refused unless ``partial``).
        logger: where warnings go (see :func:`mmcv.logging.print_log`).
        revise_keys: (regex, replacement) pairs applied to every key; by default drops 'module.'.
        partial: load the keys that fit and warn about the others (fine-tuning from another model).

    Raises FloatingPointError if a weight of the file is NaN or Inf, RuntimeError if its keys do not
    fit (see :func:`check_coverage`).
    """
    checkpoint = _load_checkpoint(filename, map_location)
    if not isinstance(checkpoint, dict):
        raise TypeError(f'{filename} holds a {type(checkpoint).__name__}, expected a checkpoint dict or a '
                        'state_dict')
    state_dict = checkpoint.get('state_dict', checkpoint)
    for pattern, replacement in revise_keys:
        state_dict = OrderedDict((re.sub(pattern, replacement, key), value) for key, value in state_dict.items())
    check_finite(state_dict, f'checkpoint {filename}')
    load_state_dict(unwrap_model(model), state_dict, strict=strict, logger=logger, source=str(filename),
                    partial=partial)
    return checkpoint


def remove_stale_temporaries(folder: str, logger=None) -> List[str]:
    """Delete the ``.NAME.pth.RANDOM.tmp`` files an interrupted save left in ``folder``; return their names.

    Only names of that pattern are touched. Call it before this run writes checkpoints there: a
    checkpoint being written by another process into the same folder would lose its temporary.
    """
    if not osp.isdir(folder):
        return []
    removed = []
    for name in sorted(os.listdir(folder)):
        path = osp.join(folder, name)
        if _CHECKPOINT_TEMPORARY.fullmatch(name) and osp.isfile(path) and not osp.islink(path):
            os.remove(path)
            removed.append(name)
    if removed:
        print_log(f'removed {len(removed)} temporary file(s) of interrupted checkpoint saves from {folder}: '
                  f'{", ".join(removed)}', logger=logger, level=logging.WARNING)
    return removed
