"""Focal loss (Lin et al., 2017) on the compiled ``mmcv.ops`` kernels (PyTorch fallback inside mmcv.ops)."""
from typing import Optional, Sequence

import torch

from ..builder import LOSSES
from .base import BaseLoss
from .utils import weight_reduce_loss


@LOSSES.register_module()
class FocalLoss(BaseLoss):
    """Focal loss of dense logits [N, C, ...] against labels [N, ...] (mmseg 0.x interface; the protocol of
    :class:`BaseLoss`).

    Args:
        use_sigmoid: one-vs-all sigmoid focal loss (binary mode needs it); False: softmax focal loss.
        gamma: focusing exponent.
        alpha: balance of positives (sigmoid) / scale (softmax).
        reduction: 'none' (per pixel), 'mean' (over non-ignored pixels, and classes for sigmoid) or 'sum'.
        class_weight: one weight per class (weights the pixels of that class), or None.
        loss_weight: factor applied to the loss.
        loss_name: key of the loss in the loss dict (summed into the total loss, whatever the name).
    """

    mean_over_batch = True  # a mean over the non-ignored pixels of the batch

    def __init__(self, use_sigmoid: bool = True, gamma: float = 2.0, alpha: float = 0.5, reduction: str = 'mean',
                 class_weight: Optional[Sequence[float]] = None, loss_weight: float = 1.0,
                 loss_name: str = 'loss_focal'):
        super().__init__(loss_name=loss_name, use_sigmoid=use_sigmoid, reduction=reduction,
                         loss_weight=loss_weight, class_weight=class_weight)
        self.gamma = gamma
        self.alpha = alpha

    def forward(self, pred: torch.Tensor, target: torch.Tensor, weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[torch.Tensor] = None, reduction_override: Optional[str] = None,
                ignore_index: Optional[int] = None) -> torch.Tensor:
        """Loss of logits ``pred`` [N, C, ...] against ``target`` [N, ...] (``weight``: per pixel)."""
        from mmcv.ops import sigmoid_focal_loss, softmax_focal_loss

        reduction, ignore_index = self.resolve(reduction_override, ignore_index)
        num_classes = pred.size(1)
        logits = pred.movedim(1, -1).reshape(-1, num_classes).float()
        labels = target.reshape(-1)
        valid = labels != ignore_index
        if num_classes == 1:
            # channel 0 is class 1; index 1 (= C) marks a row with no positive class
            labels = (labels != 1).long()
        labels = torch.where(valid, labels, 0)
        pixel_weight = valid.float() if weight is None else valid.float() * weight.reshape(-1)
        if self.use_sigmoid:
            loss = sigmoid_focal_loss(logits, labels, self.gamma, self.alpha, self.class_weight, 'none')
            pixel_weight = pixel_weight.unsqueeze(1)
        else:
            loss = softmax_focal_loss(logits, labels, self.gamma, self.alpha, self.class_weight, 'none')
        if avg_factor is None and reduction == 'mean':
            avg_factor = valid.sum() * (num_classes if self.use_sigmoid else 1)
        loss = weight_reduce_loss(loss, pixel_weight, reduction, avg_factor)
        if reduction == 'none':
            loss = loss.sum(1) if self.use_sigmoid else loss
            loss = loss.reshape(target.shape)
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return f'use_sigmoid={self.use_sigmoid}, gamma={self.gamma}, alpha={self.alpha}, {super().extra_repr()}'
