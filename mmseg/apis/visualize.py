"""Pictures of predictions; they live in :mod:`mmseg.core.visualization` (below ``apis``, for the tools' helpers in
``mmseg.utils`` too) and keep this name for code that imports them from here."""
from mmseg.core.visualization import (FN_COLOR, FP_COLOR, TP_COLOR, blend, color_mask, error_overlay,
                                      save_error_overlay)

__all__ = ['TP_COLOR', 'FP_COLOR', 'FN_COLOR', 'blend', 'error_overlay', 'color_mask', 'save_error_overlay']
