from .decode_head import BaseDecodeHead
from .fcn_head import FCNHead
from .unetpp_head import UNetPlusPlusHead

__all__ = ['BaseDecodeHead', 'FCNHead', 'UNetPlusPlusHead']
