"""Segmentation models: registries, builders and the registered components."""
from .backbones import ResNet
from .builder import (BACKBONES, HEADS, LOSSES, NECKS, SEGMENTORS, build_backbone, build_head, build_loss,
                      build_neck, build_segmentor)
from .decode_heads import BaseDecodeHead, FCNHead, UNetPlusPlusHead
from .losses import CrossEntropyLoss, DiceLoss, FocalLoss, accuracy
from .segmentors import BaseSegmentor, EncoderDecoder

__all__ = [
    'BACKBONES', 'NECKS', 'HEADS', 'LOSSES', 'SEGMENTORS', 'build_backbone', 'build_neck', 'build_head',
    'build_loss', 'build_segmentor', 'ResNet', 'BaseDecodeHead', 'FCNHead', 'UNetPlusPlusHead',
    'CrossEntropyLoss', 'DiceLoss', 'FocalLoss', 'accuracy', 'BaseSegmentor', 'EncoderDecoder'
]
