"""Converters from official dataset archives to the layouts the datasets read (one shared archive reader)."""
from .archive import Archive, ConversionError, Limits
from .chase_db1 import convert_chase_db1
from .drive import convert_drive
from .fov import fov_mask_from_image
from .hrf import convert_hrf
from .samples import ConvertOptions, SplitSummary
from .stare import convert_stare

__all__ = ['Archive', 'ConversionError', 'ConvertOptions', 'Limits', 'SplitSummary', 'convert_chase_db1',
           'convert_drive', 'convert_hrf', 'convert_stare', 'fov_mask_from_image']
