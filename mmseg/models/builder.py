"""Registries of model components and the functions that build them from config dicts."""
from typing import Optional

from torch import nn

from mmcv.registry import Registry

BACKBONES = Registry('backbones')
NECKS = Registry('necks')
HEADS = Registry('heads')
LOSSES = Registry('losses')
SEGMENTORS = Registry('segmentors')
UPSAMPLE_LAYERS = Registry('upsample layers')


def build_backbone(cfg: dict) -> nn.Module:
    """Build a backbone (feature extractor) from ``cfg``."""
    return BACKBONES.build(cfg)


def build_neck(cfg: dict) -> nn.Module:
    """Build a neck (feature transform between backbone and heads) from ``cfg``."""
    return NECKS.build(cfg)


def build_head(cfg: dict) -> nn.Module:
    """Build a decode or auxiliary head from ``cfg``."""
    return HEADS.build(cfg)


def build_loss(cfg: dict) -> nn.Module:
    """Build a loss module from ``cfg``."""
    return LOSSES.build(cfg)


def build_upsample_layer(cfg: dict, **kwargs) -> nn.Module:
    """Build an upsampling layer (``InterpConv``, ``DeconvModule``) from ``cfg``; ``kwargs`` are its
    channel and norm arguments."""
    return UPSAMPLE_LAYERS.build(cfg, default_args=kwargs)


def build_segmentor(cfg: dict, train_cfg: Optional[dict] = None,
                    test_cfg: Optional[dict] = None) -> nn.Module:
    """Build a segmentor from ``cfg`` (usually ``cfg.model``).

    ``train_cfg``/``test_cfg`` are the old mmseg places for these settings; give them either here or
    inside ``cfg``, not both.
    """
    for name, value in (('train_cfg', train_cfg), ('test_cfg', test_cfg)):
        if value is not None and cfg.get(name) is not None:
            raise ValueError(f'build_segmentor: {name} is given both as an argument and in the model '
                             f'config; keep only model.{name}')
    return SEGMENTORS.build(cfg, default_args=dict(train_cfg=train_cfg, test_cfg=test_cfg))
