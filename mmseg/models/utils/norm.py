"""Normalization layers from config dicts: ``dict(type='BN'|'SyncBN'|'GN', requires_grad=True, ...)``."""
from torch import nn

_NORM_LAYERS = {'BN': nn.BatchNorm2d, 'SyncBN': nn.SyncBatchNorm, 'GN': nn.GroupNorm}


def build_norm(cfg: dict, num_features: int) -> nn.Module:
    """Build the normalization layer that ``cfg`` describes for ``num_features`` channels.

    Extra keys go to the layer (``eps``, ``momentum``; ``num_groups`` is required for GN);
    ``requires_grad=False`` freezes its affine parameters.
    """
    args = dict(cfg)
    layer_type = args.pop('type', None)
    if layer_type not in _NORM_LAYERS:
        raise KeyError(f'norm_cfg type {layer_type!r} is not supported; expected one of {sorted(_NORM_LAYERS)}')
    requires_grad = args.pop('requires_grad', True)
    if layer_type == 'GN':
        if 'num_groups' not in args:
            raise KeyError(f'norm_cfg {cfg!r}: GN needs num_groups')
        layer = nn.GroupNorm(num_channels=num_features, **args)
    else:
        layer = _NORM_LAYERS[layer_type](num_features, **args)
    for param in layer.parameters():
        param.requires_grad = requires_grad
    return layer


def eval_norm_layers(module: nn.Module) -> None:
    """Put every BatchNorm layer of ``module`` in eval mode (a backbone's ``norm_eval``: frozen statistics)."""
    for layer in module.modules():
        if isinstance(layer, nn.modules.batchnorm._BatchNorm):
            layer.eval()
