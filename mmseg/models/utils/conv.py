"""Convolution building blocks shared by the heads."""
from typing import Optional

from torch import nn

from .norm import build_norm


class ConvBNReLU(nn.Sequential):
    """Conv (no bias: the norm has one) -> norm -> ReLU, keeping the spatial size."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3,
                 norm_cfg: Optional[dict] = None):
        norm_cfg = norm_cfg or dict(type='BN')
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False),
            build_norm(norm_cfg, out_channels),
            nn.ReLU(inplace=True))
        nn.init.kaiming_normal_(self[0].weight, mode='fan_out', nonlinearity='relu')


class DoubleConv(nn.Sequential):
    """Two 3x3 conv-norm-ReLU layers: the node function H of U-Net and UNet++."""

    def __init__(self, in_channels: int, out_channels: int, norm_cfg: Optional[dict] = None):
        super().__init__(ConvBNReLU(in_channels, out_channels, 3, norm_cfg),
                         ConvBNReLU(out_channels, out_channels, 3, norm_cfg))
