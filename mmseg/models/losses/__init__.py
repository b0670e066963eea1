from .accuracy import accuracy
from .base import BaseLoss, check_loss
from .cldice_loss import SoftClDiceLoss, soft_skeleton
from .cross_entropy_loss import CrossEntropyLoss, binary_cross_entropy, cross_entropy
from .dice_loss import DiceLoss
from .focal_loss import FocalLoss
from .utils import weight_reduce_loss

__all__ = ['accuracy', 'BaseLoss', 'check_loss', 'CrossEntropyLoss', 'binary_cross_entropy', 'cross_entropy',
           'DiceLoss', 'FocalLoss', 'SoftClDiceLoss', 'soft_skeleton', 'weight_reduce_loss']
