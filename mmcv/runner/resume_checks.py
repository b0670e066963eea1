"""What resuming restores of the optimizer, checked against the optimizer the config built.

Resuming continues the saved run exactly: the optimizer's state *and its hyperparameters* (lr, weight
decay, momentum, betas...) come from the checkpoint, and the lr schedule continues from the saved
base lr. So a config that asks for another optimizer class is refused (the states do not fit), and a
config that asks for other hyperparameters gets a warning naming each one, because the checkpoint's win.
To train with new settings from saved weights, load the weights instead (``load_from``): the optimizer
and the schedule then start afresh at iteration 0.
"""
import inspect
import math
from typing import Dict, Iterable, List, Optional

import torch

# param-group entries that are implementation switches or bookkeeping, not training settings
_NOT_SETTINGS = frozenset({'params', 'initial_lr', 'foreach', 'fused', 'capturable', 'differentiable'})


def optimizer_type(optimizer) -> Optional[object]:
    """The class name of ``optimizer``, or a dict of them for a dict of optimizers (stored in checkpoint meta)."""
    if optimizer is None:
        return None
    if isinstance(optimizer, dict):
        return {name: type(opt).__name__ for name, opt in optimizer.items()}
    return type(optimizer).__name__


def _settings(group: dict) -> frozenset:
    return frozenset(group) - _NOT_SETTINGS


def _torch_optimizers() -> Iterable[type]:
    for obj in vars(torch.optim).values():
        if inspect.isclass(obj) and issubclass(obj, torch.optim.Optimizer) and obj is not torch.optim.Optimizer:
            yield obj


def infer_optimizer_types(state: dict) -> List[str]:
    """The torch.optim classes whose settings have the names of ``state``'s first param group.

    For checkpoints written before the optimizer class was recorded; Adam and AdamW have the same
    names and are told apart by ``decoupled_weight_decay``.
    """
    groups = state.get('param_groups') or [{}]
    keys = _settings(groups[0])
    names = []
    for cls in _torch_optimizers():
        try:
            defaults = cls([torch.zeros(1, requires_grad=True)]).defaults
        except Exception:  # noqa: BLE001 - an optimizer that needs required arguments cannot be probed
            continue
        if _settings(defaults) == keys:
            names.append(cls.__name__)
    if {'Adam', 'AdamW'} <= set(names) and 'decoupled_weight_decay' in groups[0]:
        names = [n for n in names if n not in ('Adam', 'AdamW')]
        names.insert(0, 'AdamW' if groups[0]['decoupled_weight_decay'] else 'Adam')
    return names


def check_optimizer_class(optimizer: torch.optim.Optimizer, state: dict, saved_type: Optional[str],
                          checkpoint: str, key: str = 'optimizer') -> None:
    """Refuse, naming both, when ``state`` was saved by another optimizer class than ``optimizer``."""
    current = type(optimizer).__name__
    if saved_type is None:
        candidates = infer_optimizer_types(state)
        if not candidates or current in candidates or _settings(optimizer.defaults) == _settings(
                (state.get('param_groups') or [{}])[0]):
            return
        saved_type = candidates[0] if len(candidates) == 1 else ' or '.join(candidates)
        saved_text = f'{saved_type} (judged by the settings saved in its optimizer state)'
    else:
        if saved_type == current:
            return
        saved_text = saved_type
    raise TypeError(
        f'cannot resume from {checkpoint}: its optimizer state was saved by {saved_text}, but the config '
        f'builds {current} ({key}.type). Resume with {key}.type={saved_type.split(" or ")[0]} (its state '
        f'and settings are restored), or start from the weights only with load_from={checkpoint} '
        f'(--load-from), which starts {current} afresh at iteration 0.')


def check_param_groups(optimizer: torch.optim.Optimizer, state: dict, checkpoint: str,
                       key: str = 'optimizer') -> None:
    """Refuse a different number or size of parameter groups (another paramwise_cfg or model)."""
    saved = state.get('param_groups', [])
    current = optimizer.param_groups
    if len(saved) != len(current):
        raise ValueError(f'cannot resume from {checkpoint}: its optimizer has {len(saved)} parameter groups, '
                         f'the config\'s {key} builds {len(current)} (a different {key}.paramwise_cfg?). '
                         f'Resume with the settings it was trained with, or use load_from={checkpoint}.')
    for i, (old, new) in enumerate(zip(saved, current)):
        if len(old['params']) != len(new['params']):
            raise ValueError(f'cannot resume from {checkpoint}: parameter group {i} of its optimizer holds '
                             f'{len(old["params"])} parameters, the config\'s {key} puts {len(new["params"])} '
                             'there (a different paramwise_cfg or model?).')


def _differs(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return not math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0.0)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) != len(b) or any(_differs(x, y) for x, y in zip(a, b))
    return a != b


def setting_differences(optimizer: torch.optim.Optimizer, state: dict) -> Dict[str, tuple]:
    """``{'lr': (config, checkpoint), ...}``: the settings of the fresh ``optimizer`` (as the config
    built it) that differ from those in ``state``. A saved ``initial_lr`` (the schedule's base lr) is
    what the config's ``lr`` corresponds to. Groups are compared in order; keys name the group when
    there are several (``'lr[1]'``)."""
    diffs = {}
    groups = list(zip(optimizer.param_groups, state.get('param_groups', [])))
    for i, (new, old) in enumerate(groups):
        for name in sorted(_settings(new) & _settings(old)):
            saved = old.get('initial_lr', old['lr']) if name == 'lr' else old[name]
            if _differs(new[name], saved):
                diffs[name if len(groups) == 1 else f'{name}[{i}]'] = (new[name], saved)
    return diffs


def describe_differences(diffs: Dict[str, tuple], checkpoint: str, key: str = 'optimizer') -> str:
    shown = ', '.join(f'{name} {cfg!r} (checkpoint {saved!r})' for name, (cfg, saved) in list(diffs.items())[:6])
    more = f' and {len(diffs) - 6} more' if len(diffs) > 6 else ''
    return (f'resuming from {checkpoint} restores its optimizer state and settings, which win over the config: '
            f'the config asks for {key} {shown}{more}. The run continues with the checkpoint\'s values (and its '
            f'lr schedule from the saved base lr). To train with the new settings, start from the weights with '
            f'load_from={checkpoint} (--load-from) instead.')
