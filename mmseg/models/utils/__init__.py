from .conv import ConvBNReLU, DoubleConv
from .conv_module import ConvModule, build_activation
from .norm import build_norm, eval_norm_layers
from .up_conv_block import UpConvBlock
from .upsample import DeconvModule, InterpConv, Upsample
from .wrappers import resize

__all__ = ['ConvBNReLU', 'DoubleConv', 'ConvModule', 'build_activation', 'build_norm', 'eval_norm_layers',
           'UpConvBlock', 'DeconvModule', 'InterpConv', 'Upsample', 'resize']
