"""Converters from official dataset archives to the layouts the datasets read."""
from .drive import SplitSummary, convert_drive
from .zip_reader import ConversionError

__all__ = ['ConversionError', 'SplitSummary', 'convert_drive']
