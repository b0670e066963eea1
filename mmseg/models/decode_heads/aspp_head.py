"""DeepLabV3's ASPP head (Chen et al., 2017): parallel atrous convs plus image pooling on one level."""
from typing import Sequence

import torch
from torch import nn

from ..builder import HEADS
from ..utils import ConvModule, resize
from .decode_head import BaseDecodeHead


@HEADS.register_module()
class ASPPHead(BaseDecodeHead):
    """Atrous spatial pyramid pooling on the level ``in_index`` (mmseg 0.x arguments and parameter names).

    The branches are a global-average-pool branch (``image_pool``), a 1x1 conv for dilation 1 and a 3x3 conv
    per other dilation (``aspp_modules``); a 3x3 ``bottleneck`` fuses them before the classifier.

    Args:
        dilations: one branch per dilation, e.g. (1, 12, 24, 36).
        **kwargs: see :class:`BaseDecodeHead`.
    """

    def __init__(self, dilations: Sequence[int] = (1, 6, 12, 18), **kwargs):
        super().__init__(**kwargs)
        if not isinstance(dilations, (list, tuple)) or not dilations:
            raise ValueError(f'ASPPHead: dilations must be a non-empty list of ints, got {dilations!r}')
        self.dilations = tuple(dilations)
        conv_args = dict(conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg, act_cfg=self.act_cfg)
        self.image_pool = nn.Sequential(nn.AdaptiveAvgPool2d(1),
                                        ConvModule(self.in_channels, self.channels, 1, **conv_args))
        self.aspp_modules = nn.ModuleList(
            ConvModule(self.in_channels, self.channels, 1 if d == 1 else 3, dilation=d, padding=0 if d == 1 else d,
                       **conv_args)
            for d in self.dilations)
        self.bottleneck = ConvModule((len(self.dilations) + 1) * self.channels, self.channels, 3, padding=1,
                                     **conv_args)
        self.conv_seg = self.make_classifier(self.channels)

    def forward(self, inputs) -> torch.Tensor:
        x = self._transform_inputs(inputs)
        pooled = resize(self.image_pool(x), x.shape[2:], align_corners=self.align_corners)
        branches = [pooled, *(module(x) for module in self.aspp_modules)]
        return self.cls_seg(self.bottleneck(torch.cat(branches, dim=1)))
