from .aspp_head import ASPPHead
from .decode_head import BaseDecodeHead
from .fcn_head import FCNHead
from .psp_head import PSPHead
from .unetpp_head import UNetPlusPlusHead

__all__ = ['BaseDecodeHead', 'ASPPHead', 'FCNHead', 'PSPHead', 'UNetPlusPlusHead']
