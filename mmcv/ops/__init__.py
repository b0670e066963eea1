"""Ops backed by the compiled extension mmcv._ext, each with a PyTorch fallback (see ``get_backend``)."""
from .ext_loader import ext_load_error, get_backend
from .focal_loss import SigmoidFocalLoss, SoftmaxFocalLoss, sigmoid_focal_loss, softmax_focal_loss

__all__ = [
    'get_backend', 'ext_load_error', 'sigmoid_focal_loss', 'softmax_focal_loss', 'SigmoidFocalLoss',
    'SoftmaxFocalLoss',
]
