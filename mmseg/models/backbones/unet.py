"""U-Net backbone (Ronneberger et al., 2015) with mmseg 0.x's arguments and parameter names.

The encoder has ``num_stages`` conv blocks; stage i > 0 halves the resolution first (a max-pool, or a
stride-2 first conv). The decoder climbs back with :class:`UpConvBlock` stages. The output list is the
bottom of the encoder then every decoder stage, deepest first, so with 5 stages and the defaults
index 4 is full resolution with ``base_channels`` channels and index 3 is 1/2 with twice as many
(what mmseg's ``in_index=4`` / ``in_index=3`` heads read).
"""
from typing import List, Optional, Sequence

import torch
from torch import nn

from ..builder import BACKBONES
from ..utils import ConvModule, UpConvBlock, eval_norm_layers
from ..utils.checkpoint import maybe_checkpoint


class BasicConvBlock(nn.Module):
    """``num_convs`` 3x3 ConvModules; the first may have stride 2, the others use ``dilation``."""

    def __init__(self, in_channels: int, out_channels: int, num_convs: int = 2, stride: int = 1, dilation: int = 1,
                 with_cp: bool = False, conv_cfg: Optional[dict] = None, norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU')):
        super().__init__()
        self.with_cp = with_cp
        self.convs = nn.Sequential(*(
            ConvModule(in_channels if i == 0 else out_channels, out_channels, 3, stride=stride if i == 0 else 1,
                       dilation=1 if i == 0 else dilation, padding=1 if i == 0 else dilation, conv_cfg=conv_cfg,
                       norm_cfg=norm_cfg, act_cfg=act_cfg)
            for i in range(num_convs)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return maybe_checkpoint(self.convs, x, self.with_cp)


@BACKBONES.register_module()
class UNet(nn.Module):
    """U-Net encoder-decoder returning the bottom feature and every decoder stage (mmseg 0.x interface).

    Args:
        in_channels: channels of the input image.
        base_channels: channels of stage 0; stage i has ``base_channels * 2**i``.
        num_stages: encoder stages (5 in UNet-S5-D16: four 2x downsamplings, output stride 16 at the bottom).
        strides: per encoder stage, 1 or 2 (2: the block's first conv downsamples instead of a max-pool).
        enc_num_convs: 3x3 convs per encoder stage; ``dec_num_convs``: per decoder stage (num_stages - 1).
        downsamples: per stage 1..num_stages-1, whether a max-pool halves the size (when its stride is 1).
        enc_dilations, dec_dilations: dilation of the 2nd.. conv of each encoder / decoder block.
        with_cp: activation checkpointing of each block (less memory, slower).
        conv_cfg, norm_cfg, act_cfg: of every ConvModule (``conv_cfg`` None = Conv2d).
        upsample_cfg: decoder upsampling, ``dict(type='InterpConv')`` (bilinear + 1x1 conv) or
            ``dict(type='DeconvModule')`` (4x4 transposed conv).
        norm_eval: keep BN layers in eval mode (frozen statistics) while training.

    The input height and width must be divisible by 2 ** (number of downsampling stages); a clear error
    says so otherwise (slide inference with a divisible ``crop_size`` keeps windows legal).
    """

    def __init__(self, in_channels: int = 3, base_channels: int = 64, num_stages: int = 5,
                 strides: Sequence[int] = (1, 1, 1, 1, 1), enc_num_convs: Sequence[int] = (2, 2, 2, 2, 2),
                 dec_num_convs: Sequence[int] = (2, 2, 2, 2), downsamples: Sequence[bool] = (True, True, True, True),
                 enc_dilations: Sequence[int] = (1, 1, 1, 1, 1), dec_dilations: Sequence[int] = (1, 1, 1, 1),
                 with_cp: bool = False, conv_cfg: Optional[dict] = None, norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU'), upsample_cfg: Optional[dict] = dict(type='InterpConv'),
                 norm_eval: bool = False, pretrained: Optional[str] = None, init_cfg: Optional[dict] = None):
        super().__init__()
        for name, value, length in (('strides', strides, num_stages), ('enc_num_convs', enc_num_convs, num_stages),
                                    ('enc_dilations', enc_dilations, num_stages),
                                    ('dec_num_convs', dec_num_convs, num_stages - 1),
                                    ('downsamples', downsamples, num_stages - 1),
                                    ('dec_dilations', dec_dilations, num_stages - 1)):
            if len(value) != length:
                raise ValueError(f'UNet: {name} needs {length} values with num_stages={num_stages}, got {value}')
        if any(s not in (1, 2) for s in strides):
            raise ValueError(f'UNet: strides must be 1 or 2, got {strides}')
        if pretrained is not None and init_cfg is not None:
            raise ValueError('UNet: give the checkpoint as pretrained or as init_cfg, not both')
        self.in_channels = in_channels
        self.base_channels = base_channels
        self.num_stages = num_stages
        self.strides = tuple(strides)
        self.downsamples = tuple(downsamples)
        self.norm_eval = norm_eval
        self.init_cfg = dict(type='Pretrained', checkpoint=pretrained) if pretrained else init_cfg
        self.encoder = nn.ModuleList()
        self.decoder = nn.ModuleList()
        block_args = dict(with_cp=with_cp, conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        for i in range(num_stages):
            stage: List[nn.Module] = []
            if i > 0:
                if strides[i] == 1 and downsamples[i - 1]:
                    stage.append(nn.MaxPool2d(kernel_size=2))
                halves = strides[i] != 1 or downsamples[i - 1]
                self.decoder.append(UpConvBlock(
                    BasicConvBlock, base_channels * 2 ** i, base_channels * 2 ** (i - 1),
                    base_channels * 2 ** (i - 1), num_convs=dec_num_convs[i - 1], dilation=dec_dilations[i - 1],
                    upsample_cfg=upsample_cfg if halves else None, **block_args))
            stage.append(BasicConvBlock(in_channels, base_channels * 2 ** i, num_convs=enc_num_convs[i],
                                        stride=strides[i], dilation=enc_dilations[i], **block_args))
            self.encoder.append(nn.Sequential(*stage))
            in_channels = base_channels * 2 ** i

    @property
    def out_channels(self) -> List[int]:
        """Channels of the returned features: the encoder's bottom, then each decoder stage up to full size."""
        return [self.base_channels * 2 ** i for i in reversed(range(self.num_stages))]

    @property
    def downsample_rate(self) -> int:
        """Total downsampling of the encoder: input sizes must be multiples of it."""
        return 2 ** sum(1 for i in range(1, self.num_stages) if self.strides[i] == 2 or self.downsamples[i - 1])

    def init_weights(self) -> None:
        """Load ``init_cfg``'s checkpoint if any (convs are Kaiming-initialised when built)."""
        if self.init_cfg is None:
            return
        if self.init_cfg.get('type') != 'Pretrained' or 'checkpoint' not in self.init_cfg:
            raise ValueError(f"UNet init_cfg must be dict(type='Pretrained', checkpoint=...), got {self.init_cfg}")
        from mmcv.checkpoint import _load_checkpoint, load_state_dict
        checkpoint = _load_checkpoint(self.init_cfg['checkpoint'], map_location='cpu')
        load_state_dict(self, checkpoint.get('state_dict', checkpoint), strict=False,
                        source=str(self.init_cfg['checkpoint']))

    def train(self, mode: bool = True) -> 'UNet':
        """Switch mode, keeping the norm layers in eval mode when ``norm_eval``."""
        super().train(mode)
        if mode and self.norm_eval:
            eval_norm_layers(self)
        return self

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        self._check_input_divisible(x)
        skips = []
        for stage in self.encoder:
            x = stage(x)
            skips.append(x)
        outs = [x]
        for i in reversed(range(len(self.decoder))):
            x = self.decoder[i](skips[i], x)
            outs.append(x)
        return outs

    def _check_input_divisible(self, x: torch.Tensor) -> None:
        height, width = x.shape[-2:]
        rate = self.downsample_rate
        if height % rate or width % rate:
            raise ValueError(
                f'UNet: the input size {(int(height), int(width))} must be divisible by {rate}, the whole '
                f'downsample rate of num_stages={self.num_stages}, strides={self.strides}, '
                f'downsamples={self.downsamples}; pad the images (Pad size_divisor) or use slide inference '
                f'with a crop_size divisible by {rate}')
