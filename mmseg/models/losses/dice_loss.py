"""Dice loss (Milletari et al., 2016), per image and per class, averaged over the real classes."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..builder import LOSSES
from .utils import check_reduction, class_weight_tensor, weight_reduce_loss


@LOSSES.register_module()
class DiceLoss(nn.Module):
    """Dice loss (mmseg 0.x interface).

    For image n and class c, with p the probabilities and t the one-hot labels over non-ignored pixels:
    ``1 - (2 * sum(p * t) + smooth) / (sum(p ** exponent) + sum(t ** exponent) + smooth)``. The loss of an
    image is the (class-weighted) mean over the classes 0..C-1 other than ``ignore_index``; with C = 1
    (binary mode) p is the sigmoid of the logit and the only class is class 1.

    Args:
        smooth: added to numerator and denominator (keeps images without a class finite and smooth).
        exponent: power of p and t in the denominator.
        reduction: over the images: 'none', 'mean' or 'sum'.
        class_weight: one weight per class, or None.
        loss_weight: factor applied to the loss.
        ignore_index: label excluded from the sums.
        loss_name: key of the loss in the loss dict.
        use_sigmoid: accepted so that mmseg 0.x configs (``DiceLoss(use_sigmoid=False, ...)``) build; as in
            mmseg 0.x it does not choose anything: the number of channels does (1: sigmoid, more: softmax).
    """

    # The 'mean' reduction averages per-image terms over the batch, so the loss of several outputs stacked
    # along the batch is the mean of their losses (heads use it to evaluate deep supervision in one call).
    mean_over_batch = True

    def __init__(self, smooth: float = 1.0, exponent: float = 2, reduction: str = 'mean',
                 class_weight: Optional[Sequence[float]] = None, loss_weight: float = 1.0,
                 ignore_index: int = 255, loss_name: str = 'loss_dice', use_sigmoid: bool = False):
        super().__init__()
        if not isinstance(use_sigmoid, bool):
            raise TypeError(f'DiceLoss: use_sigmoid must be a bool, got {use_sigmoid!r}')
        self.smooth = smooth
        self.exponent = exponent
        self.reduction = check_reduction(reduction, 'DiceLoss')
        self.register_buffer('class_weight', class_weight_tensor(class_weight, 'DiceLoss'), persistent=False)
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index
        self.loss_name = loss_name

    def forward(self, pred: torch.Tensor, target: torch.Tensor, avg_factor: Optional[torch.Tensor] = None,
                reduction_override: Optional[str] = None, ignore_index: Optional[int] = None) -> torch.Tensor:
        """Loss of logits ``pred`` [N, C, ...] against ``target`` [N, ...]; ``ignore_index`` overrides the
        constructor's."""
        reduction = check_reduction(reduction_override or self.reduction, 'DiceLoss')
        ignore_index = self.ignore_index if ignore_index is None else ignore_index
        num_classes = pred.size(1)
        pred = pred.float().flatten(2)
        target = target.flatten(1)
        valid = (target != ignore_index).unsqueeze(1).float()
        if num_classes == 1:
            prob = torch.sigmoid(pred)
            one_hot = (target == 1).unsqueeze(1).float()
        else:
            prob = F.softmax(pred, dim=1)
            one_hot = F.one_hot(torch.where(valid[:, 0].bool(), target, 0), num_classes).movedim(-1, 1).float()
        prob, one_hot = prob * valid, one_hot * valid
        numerator = 2 * (prob * one_hot).sum(-1) + self.smooth
        denominator = prob.pow(self.exponent).sum(-1) + one_hot.pow(self.exponent).sum(-1) + self.smooth
        class_loss = 1 - numerator / denominator
        if self.class_weight is not None:
            class_loss = class_loss * self.class_weight
        if 0 <= ignore_index < num_classes:
            class_loss = torch.cat([class_loss[:, :ignore_index], class_loss[:, ignore_index + 1:]], dim=1)
        loss = class_loss.mean(dim=1)
        return self.loss_weight * weight_reduce_loss(loss, reduction=reduction, avg_factor=avg_factor)

    def extra_repr(self) -> str:
        return (f'smooth={self.smooth}, exponent={self.exponent}, loss_weight={self.loss_weight}, '
                f'loss_name={self.loss_name!r}')
