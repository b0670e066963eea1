"""Optimizers from configs: every torch.optim optimizer by name, with optional per-parameter settings."""
import inspect
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn

from mmcv.parallel import unwrap_model
from mmcv.registry import Registry

OPTIMIZERS = Registry('optimizer')


def _register_torch_optimizers() -> None:
    for obj in vars(torch.optim).values():
        if inspect.isclass(obj) and issubclass(obj, torch.optim.Optimizer) and obj is not torch.optim.Optimizer:
            OPTIMIZERS.register_module(module=obj)


_register_torch_optimizers()

_NORM_LAYERS = (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm, nn.GroupNorm,
                nn.LayerNorm)
_PARAMWISE_KEYS = ('custom_keys', 'bias_lr_mult', 'bias_decay_mult', 'norm_decay_mult')


def _multipliers(name: str, param_name: str, in_norm: bool, cfg: dict, keys: List[str]) -> Tuple[float, float]:
    """(lr_mult, decay_mult) of one parameter; a matching custom key wins over the norm/bias rules."""
    for key in keys:
        if key in name:
            custom = cfg['custom_keys'][key]
            return float(custom.get('lr_mult', 1.)), float(custom.get('decay_mult', 1.))
    if in_norm:
        return 1., float(cfg.get('norm_decay_mult', 1.))
    if param_name == 'bias':
        return float(cfg.get('bias_lr_mult', 1.)), float(cfg.get('bias_decay_mult', 1.))
    return 1., 1.


def _param_groups(model: nn.Module, lr: Optional[float], weight_decay: Optional[float],
                  paramwise_cfg: dict) -> List[dict]:
    """Parameter groups following ``paramwise_cfg``; parameters with equal settings share a group.

    ``custom_keys`` maps a substring of the parameter name to ``dict(lr_mult=, decay_mult=)``; the
    longest matching key applies. ``norm_decay_mult`` scales the weight decay of normalisation layers,
    ``bias_lr_mult``/``bias_decay_mult`` those of the other biases.
    """
    unknown = sorted(set(paramwise_cfg) - set(_PARAMWISE_KEYS))
    if unknown:
        raise KeyError(f'unknown paramwise_cfg keys {unknown}; supported: {", ".join(_PARAMWISE_KEYS)}')
    keys = sorted(sorted(paramwise_cfg.get('custom_keys', {})), key=len, reverse=True)
    groups: Dict[Tuple[float, float], List[nn.Parameter]] = {}
    seen = set()
    for module_name, module in model.named_modules():
        in_norm = isinstance(module, _NORM_LAYERS)
        for param_name, param in module.named_parameters(recurse=False):
            if id(param) in seen:
                continue
            seen.add(id(param))
            name = f'{module_name}.{param_name}' if module_name else param_name
            groups.setdefault(_multipliers(name, param_name, in_norm, paramwise_cfg, keys), []).append(param)
    result = []
    for (lr_mult, decay_mult), params in groups.items():
        group = {'params': params}
        if lr_mult != 1.:
            if lr is None:
                raise KeyError('paramwise_cfg sets lr_mult, so the optimizer config needs "lr"')
            group['lr'] = lr * lr_mult
        if weight_decay is not None:
            group['weight_decay'] = weight_decay * decay_mult
        result.append(group)
    return result


def build_optimizer(model: nn.Module, cfg: dict) -> torch.optim.Optimizer:
    """Build the optimizer ``cfg['type']`` (any torch.optim name) over ``model``'s parameters.

    Example: ``dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4,
    paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.)}, norm_decay_mult=0.))``.
    """
    cfg = dict(cfg)
    paramwise_cfg = cfg.pop('paramwise_cfg', None)
    model = unwrap_model(model)
    if paramwise_cfg:
        cfg['params'] = _param_groups(model, cfg.get('lr'), cfg.get('weight_decay'), dict(paramwise_cfg))
    else:
        cfg['params'] = list(model.parameters())
    return OPTIMIZERS.build(cfg)
