"""The U-Net decoder's 2x upsampling layers of mmseg 0.x, selected by ``upsample_cfg=dict(type=...)``.

Both take ``in_channels, out_channels, with_cp, norm_cfg, act_cfg`` from the decoder block and keep mmseg's
parameter names (``interp_upsample.*``, ``deconv_upsamping.*``, sic), so its checkpoints load.
"""
from typing import Optional

import torch
from torch import nn

from ..builder import UPSAMPLE_LAYERS
from .checkpoint import maybe_checkpoint
from .conv_module import ConvModule, build_activation
from .norm import build_norm
from .wrappers import resize


class Upsample(nn.Module):
    """Resize by ``scale_factor`` (output size = int(input size * factor)) or to a fixed ``size``."""

    def __init__(self, size=None, scale_factor: Optional[float] = None, mode: str = 'nearest',
                 align_corners: Optional[bool] = None):
        super().__init__()
        if (size is None) == (scale_factor is None):
            raise ValueError(f'Upsample: give exactly one of size and scale_factor, got size={size}, '
                             f'scale_factor={scale_factor}')
        self.size = size
        self.scale_factor = scale_factor
        self.mode = mode
        self.align_corners = bool(align_corners)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = self.size or [int(s * self.scale_factor) for s in x.shape[-2:]]
        return resize(x, size, mode=self.mode, align_corners=self.align_corners)


@UPSAMPLE_LAYERS.register_module()
class InterpConv(nn.Module):
    """Interpolation then a ConvModule (or the conv first with ``conv_first``).

    Args:
        kernel_size, stride, padding: of the conv (default a 1x1 conv).
        upsample_cfg: :class:`Upsample` arguments (default 2x bilinear, align_corners=False).
    """

    def __init__(self, in_channels: int, out_channels: int, with_cp: bool = False,
                 norm_cfg: Optional[dict] = dict(type='BN'), act_cfg: Optional[dict] = dict(type='ReLU'), *,
                 conv_cfg: Optional[dict] = None, conv_first: bool = False, kernel_size: int = 1,
                 stride: int = 1, padding: int = 0,
                 upsample_cfg: dict = dict(scale_factor=2, mode='bilinear', align_corners=False)):
        super().__init__()
        self.with_cp = with_cp
        conv = ConvModule(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                          conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        upsample = Upsample(**upsample_cfg)
        self.interp_upsample = nn.Sequential(conv, upsample) if conv_first else nn.Sequential(upsample, conv)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return maybe_checkpoint(self.interp_upsample, x, self.with_cp)


@UPSAMPLE_LAYERS.register_module()
class DeconvModule(nn.Module):
    """Transposed conv (stride ``scale_factor``) -> norm -> activation.

    ``kernel_size - scale_factor`` must be even and >= 0, so the output is exactly ``scale_factor`` times
    the input.
    """

    def __init__(self, in_channels: int, out_channels: int, with_cp: bool = False,
                 norm_cfg: Optional[dict] = dict(type='BN'), act_cfg: Optional[dict] = dict(type='ReLU'), *,
                 kernel_size: int = 4, scale_factor: int = 2):
        super().__init__()
        if kernel_size < scale_factor or (kernel_size - scale_factor) % 2:
            raise ValueError(f'DeconvModule: kernel_size - scale_factor must be even and >= 0, got '
                             f'kernel_size={kernel_size}, scale_factor={scale_factor}')
        self.with_cp = with_cp
        deconv = nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=scale_factor,
                                    padding=(kernel_size - scale_factor) // 2)
        layers = [deconv]
        if norm_cfg is not None:
            layers.append(build_norm(norm_cfg, out_channels))
        if act_cfg is not None:
            layers.append(build_activation(act_cfg))
        self.deconv_upsamping = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return maybe_checkpoint(self.deconv_upsamping, x, self.with_cp)
