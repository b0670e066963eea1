"""FCN head (Long et al., 2015): a few convs and a classifier on one level; the usual auxiliary head."""
import torch
from torch import nn

from ..builder import HEADS
from ..utils import ConvModule
from .decode_head import BaseDecodeHead


@HEADS.register_module()
class FCNHead(BaseDecodeHead):
    """Fully convolutional head on the level ``in_index`` (mmseg 0.x arguments and parameter names).

    Args:
        num_convs: conv-norm-act layers before the classifier (0 classifies the input directly and needs
            ``in_channels == channels``).
        kernel_size: of those convs (and of ``conv_cat``).
        concat_input: concatenate the input to the conv output and fuse them with one more conv.
        dilation: of the ``num_convs`` convs (padding keeps the size).
        **kwargs: see :class:`BaseDecodeHead`.
    """

    def __init__(self, num_convs: int = 2, kernel_size: int = 3, concat_input: bool = True, dilation: int = 1,
                 **kwargs):
        super().__init__(**kwargs)
        if num_convs < 0 or not isinstance(dilation, int) or dilation < 1:
            raise ValueError(f'FCNHead: num_convs must be >= 0 and dilation an int >= 1, got num_convs={num_convs}, '
                             f'dilation={dilation}')
        if num_convs == 0 and self.in_channels != self.channels:
            raise ValueError(f'FCNHead: num_convs=0 needs in_channels == channels, got '
                             f'{self.in_channels} and {self.channels}')
        self.num_convs = num_convs
        self.kernel_size = kernel_size
        self.concat_input = concat_input
        conv_args = dict(conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg, act_cfg=self.act_cfg)
        self.convs = nn.Sequential(*(
            ConvModule(self.in_channels if i == 0 else self.channels, self.channels, kernel_size,
                       padding=kernel_size // 2 * dilation, dilation=dilation, **conv_args)
            for i in range(num_convs))) if num_convs else nn.Identity()
        if concat_input:
            self.conv_cat = ConvModule(self.in_channels + self.channels, self.channels, kernel_size,
                                       padding=kernel_size // 2, **conv_args)
        self.conv_seg = self.make_classifier(self.channels)

    def forward(self, inputs) -> torch.Tensor:
        x = self._transform_inputs(inputs)
        feat = self.convs(x)
        if self.concat_input:
            feat = self.conv_cat(torch.cat([x, feat], dim=1))
        return self.cls_seg(feat)
