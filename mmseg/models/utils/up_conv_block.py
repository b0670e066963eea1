"""One U-Net decoder stage: upsample the deeper feature, concatenate the skip, fuse with a conv block."""
from typing import Callable, Optional

import torch
from torch import nn

from ..builder import build_upsample_layer
from .conv_module import ConvModule


class UpConvBlock(nn.Module):
    """``conv_block(cat([skip, upsample(x)]))`` (mmseg 0.x's decoder block and parameter names).

    Args:
        conv_block: class of the fusing block, called with mmseg's BasicConvBlock arguments.
        in_channels: channels of the deeper feature ``x``.
        skip_channels: channels of the encoder feature ``skip``; ``x`` is projected to as many.
        out_channels: channels of the result.
        upsample_cfg: ``dict(type='InterpConv'|'DeconvModule', ...)``; None when ``x`` already has the skip's
            size (a 1x1 ConvModule then only matches the channels).
    """

    def __init__(self, conv_block: Callable[..., nn.Module], in_channels: int, skip_channels: int,
                 out_channels: int, num_convs: int = 2, stride: int = 1, dilation: int = 1, with_cp: bool = False,
                 conv_cfg: Optional[dict] = None, norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU'), upsample_cfg: Optional[dict] = dict(type='InterpConv')):
        super().__init__()
        self.conv_block = conv_block(in_channels=2 * skip_channels, out_channels=out_channels, num_convs=num_convs,
                                     stride=stride, dilation=dilation, with_cp=with_cp, conv_cfg=conv_cfg,
                                     norm_cfg=norm_cfg, act_cfg=act_cfg)
        if upsample_cfg is not None:
            self.upsample = build_upsample_layer(upsample_cfg, in_channels=in_channels, out_channels=skip_channels,
                                                 with_cp=with_cp, norm_cfg=norm_cfg, act_cfg=act_cfg)
        else:
            self.upsample = ConvModule(in_channels, skip_channels, 1, conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                                       act_cfg=act_cfg)

    def forward(self, skip: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.conv_block(torch.cat([skip, self.upsample(x)], dim=1))
