"""mmcv's ConvModule (conv -> norm -> activation) with its parameter names, so mmseg 0.x layouts match."""
from typing import Optional, Tuple, Union

import torch
from torch import nn

from .norm import build_norm

_ACTIVATIONS = {'ReLU': nn.ReLU, 'LeakyReLU': nn.LeakyReLU, 'PReLU': nn.PReLU, 'ReLU6': nn.ReLU6, 'ELU': nn.ELU,
                'GELU': nn.GELU, 'SiLU': nn.SiLU, 'Swish': nn.SiLU, 'Sigmoid': nn.Sigmoid, 'Tanh': nn.Tanh}
_CONVS = ('Conv', 'Conv2d')
# mmcv's attribute name of each norm layer: state_dict keys read ``<module>.bn.weight`` or ``<module>.gn.weight``
_NORM_NAMES = {'BN': 'bn', 'SyncBN': 'bn', 'GN': 'gn'}
IntPair = Union[int, Tuple[int, int]]


def build_activation(cfg: dict) -> nn.Module:
    """Activation layer of ``dict(type='ReLU'|'LeakyReLU'|'GELU'|..., **kwargs)``."""
    args = dict(cfg)
    layer_type = args.pop('type', None)
    if layer_type not in _ACTIVATIONS:
        raise KeyError(f'act_cfg type {layer_type!r} is not supported; expected one of {sorted(_ACTIVATIONS)}')
    if layer_type in ('ReLU', 'LeakyReLU', 'ReLU6', 'ELU', 'SiLU', 'Swish'):
        args.setdefault('inplace', True)
    return _ACTIVATIONS[layer_type](**args)


class ConvModule(nn.Module):
    """Conv2d, optional norm (named ``bn`` or ``gn``) and optional activation (``activate``).

    The conv has a bias only without a norm (mmcv's ``bias='auto'``); its weight gets Kaiming (fan_out) init
    as mmcv's ``ConvModule.init_weights`` does.

    Args:
        conv_cfg: None or ``dict(type='Conv2d')`` (plain convolution; the only kind these models use).
        norm_cfg: ``dict(type='BN'|'SyncBN'|'GN', ...)`` or None for no norm.
        act_cfg: ``dict(type='ReLU', ...)`` or None for no activation.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair, stride: IntPair = 1,
                 padding: IntPair = 0, dilation: IntPair = 1, conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None, act_cfg: Optional[dict] = dict(type='ReLU')):
        super().__init__()
        if conv_cfg is not None and conv_cfg.get('type') not in _CONVS:
            raise KeyError(f'conv_cfg {conv_cfg!r} is not supported; use None or dict(type=\'Conv2d\')')
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                              dilation=dilation, bias=norm_cfg is None)
        self.norm_name = None
        if norm_cfg is not None:
            self.norm_name = _NORM_NAMES.get(norm_cfg.get('type'), 'norm')
            self.add_module(self.norm_name, build_norm(norm_cfg, out_channels))
        self.activate = build_activation(act_cfg) if act_cfg is not None else None
        nonlinearity = 'leaky_relu' if act_cfg is not None and act_cfg.get('type') == 'LeakyReLU' else 'relu'
        nn.init.kaiming_normal_(self.conv.weight, mode='fan_out', nonlinearity=nonlinearity)
        if self.conv.bias is not None:
            nn.init.zeros_(self.conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.norm_name is not None:
            x = getattr(self, self.norm_name)(x)
        if self.activate is not None:
            x = self.activate(x)
        return x
