"""FCN head (Long et al., 2015): a few convs and a classifier on one level; the usual auxiliary head."""
import torch
from torch import nn

from ..builder import HEADS
from ..utils import ConvBNReLU
from .decode_head import BaseDecodeHead


@HEADS.register_module()
class FCNHead(BaseDecodeHead):
    """Fully convolutional head on the level ``in_index``.

    Args:
        num_convs: 3x3 conv-BN-ReLU layers before the classifier (0 classifies the input directly).
        concat_input: concatenate the input to the conv output before the classifier.
        **kwargs: see :class:`BaseDecodeHead`.
    """

    def __init__(self, num_convs: int = 2, concat_input: bool = True, **kwargs):
        super().__init__(**kwargs)
        if num_convs == 0 and self.in_channels != self.channels:
            raise ValueError(f'FCNHead: num_convs=0 needs in_channels == channels, got '
                             f'{self.in_channels} and {self.channels}')
        self.convs = nn.Sequential(*(
            ConvBNReLU(self.in_channels if i == 0 else self.channels, self.channels, 3, self.norm_cfg)
            for i in range(num_convs)))
        self.conv_cat = ConvBNReLU(self.in_channels + self.channels, self.channels, 3, self.norm_cfg) \
            if concat_input else None
        self.conv_seg = self.make_classifier(self.channels)

    def forward(self, inputs) -> torch.Tensor:
        x = self._transform_inputs(inputs)
        feat = self.convs(x)
        if self.conv_cat is not None:
            feat = self.conv_cat(torch.cat([x, feat], dim=1))
        return self.cls_seg(feat)
