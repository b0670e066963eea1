"""Segmentation models: registries, builders and the registered components."""
from .backbones import ResNet, UNet
from .builder import (BACKBONES, HEADS, LOSSES, NECKS, SEGMENTORS, UPSAMPLE_LAYERS, build_backbone, build_head,
                      build_loss, build_neck, build_segmentor, build_upsample_layer)
from .decode_heads import ASPPHead, BaseDecodeHead, FCNHead, PSPHead, UNetPlusPlusHead
from .losses import CrossEntropyLoss, DiceLoss, FocalLoss, SoftClDiceLoss, accuracy
from .segmentors import BaseSegmentor, EncoderDecoder

__all__ = [
    'BACKBONES', 'NECKS', 'HEADS', 'LOSSES', 'SEGMENTORS', 'UPSAMPLE_LAYERS', 'build_backbone', 'build_neck',
    'build_head', 'build_loss', 'build_segmentor', 'build_upsample_layer', 'ResNet', 'UNet', 'BaseDecodeHead',
    'ASPPHead', 'FCNHead', 'PSPHead', 'UNetPlusPlusHead',
    'CrossEntropyLoss', 'DiceLoss', 'FocalLoss', 'SoftClDiceLoss', 'accuracy', 'BaseSegmentor', 'EncoderDecoder'
]
