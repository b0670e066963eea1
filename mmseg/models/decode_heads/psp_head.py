"""PSPNet's pyramid pooling head (Zhao et al., 2017) on one level."""
from typing import Sequence

import torch
from torch import nn

from ..builder import HEADS
from ..utils import ConvModule, resize
from .decode_head import BaseDecodeHead


@HEADS.register_module()
class PSPHead(BaseDecodeHead):
    """Pyramid pooling module on the level ``in_index`` (mmseg 0.x arguments and parameter names).

    For each scale s the input is average-pooled to s x s, projected by a 1x1 conv and resized back
    (``psp_modules``); the input and the branches are fused by a 3x3 ``bottleneck`` before the classifier.

    Args:
        pool_scales: output sizes of the pooling branches, e.g. (1, 2, 3, 6).
        **kwargs: see :class:`BaseDecodeHead`.
    """

    def __init__(self, pool_scales: Sequence[int] = (1, 2, 3, 6), **kwargs):
        super().__init__(**kwargs)
        if not isinstance(pool_scales, (list, tuple)) or not pool_scales:
            raise ValueError(f'PSPHead: pool_scales must be a non-empty list of ints, got {pool_scales!r}')
        self.pool_scales = tuple(pool_scales)
        conv_args = dict(conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg, act_cfg=self.act_cfg)
        self.psp_modules = nn.ModuleList(
            nn.Sequential(nn.AdaptiveAvgPool2d(scale), ConvModule(self.in_channels, self.channels, 1, **conv_args))
            for scale in self.pool_scales)
        self.bottleneck = ConvModule(self.in_channels + len(self.pool_scales) * self.channels, self.channels, 3,
                                     padding=1, **conv_args)
        self.conv_seg = self.make_classifier(self.channels)

    def forward(self, inputs) -> torch.Tensor:
        x = self._transform_inputs(inputs)
        branches = [x, *(resize(module(x), x.shape[2:], align_corners=self.align_corners)
                         for module in self.psp_modules)]
        return self.cls_seg(self.bottleneck(torch.cat(branches, dim=1)))
