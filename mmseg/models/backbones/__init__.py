from .resnet import ResNet
from .unet import UNet

__all__ = ['ResNet', 'UNet']
