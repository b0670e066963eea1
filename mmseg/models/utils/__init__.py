from .conv import ConvBNReLU, DoubleConv
from .norm import build_norm
from .wrappers import resize

__all__ = ['ConvBNReLU', 'DoubleConv', 'build_norm', 'resize']
