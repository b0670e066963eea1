"""Cross-entropy losses: softmax over the classes, or one sigmoid per class (binary mode: C = 1)."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F

from ..builder import LOSSES
from .base import BaseLoss
from .utils import weight_reduce_loss


def cross_entropy(pred: torch.Tensor, label: torch.Tensor, weight: Optional[torch.Tensor] = None,
                  class_weight: Optional[torch.Tensor] = None, reduction: str = 'mean',
                  avg_factor: Optional[torch.Tensor] = None, ignore_index: int = 255,
                  avg_non_ignore: bool = False) -> torch.Tensor:
    """Softmax cross-entropy of logits [N, C, ...] against labels [N, ...].

    Pixel n costs ``class_weight[y_n] * -log p_n(y_n)`` (0 where ``y_n == ignore_index``). The mean divides
    by all pixels, or by the non-ignored ones with ``avg_non_ignore`` (mmseg's convention: class weights
    scale the terms, they are not renormalized).
    """
    loss = F.cross_entropy(pred, label, weight=class_weight, reduction='none', ignore_index=ignore_index)
    if avg_factor is None and avg_non_ignore and reduction == 'mean':
        avg_factor = (label != ignore_index).sum()
    return weight_reduce_loss(loss, weight, reduction, avg_factor)


def binary_cross_entropy(pred: torch.Tensor, label: torch.Tensor, weight: Optional[torch.Tensor] = None,
                         class_weight: Optional[torch.Tensor] = None, reduction: str = 'mean',
                         avg_factor: Optional[torch.Tensor] = None, ignore_index: int = 255,
                         avg_non_ignore: bool = False) -> torch.Tensor:
    """One-vs-all sigmoid cross-entropy of logits [N, C, ...] against labels [N, ...].

    With C = 1 the logit is class 1's (binary mode); with C > 1 each channel is "is this class c".
    Ignored pixels cost 0; the mean is over all elements or, with ``avg_non_ignore``, the non-ignored ones.
    """
    num_classes = pred.size(1)
    valid = label != ignore_index
    if num_classes == 1:
        target = (label == 1).unsqueeze(1).to(pred.dtype)
    else:
        target = F.one_hot(torch.where(valid, label, 0), num_classes).movedim(-1, 1).to(pred.dtype)
    element_weight = valid.unsqueeze(1).to(pred.dtype)
    if weight is not None:
        element_weight = element_weight * weight.unsqueeze(1)
    if class_weight is not None:
        class_weight = class_weight.view(1, num_classes, *([1] * (pred.dim() - 2)))
    loss = F.binary_cross_entropy_with_logits(pred, target, weight=class_weight, reduction='none')
    if avg_factor is None and avg_non_ignore and reduction == 'mean':
        avg_factor = valid.sum() * num_classes
    return weight_reduce_loss(loss, element_weight, reduction, avg_factor)


@LOSSES.register_module()
class CrossEntropyLoss(BaseLoss):
    """Cross-entropy loss (mmseg 0.x interface; the protocol of :class:`BaseLoss`).

    Args:
        use_sigmoid: one sigmoid per class (required in binary mode) instead of a softmax.
        reduction: 'none', 'mean' or 'sum'.
        class_weight: one weight per class, or None.
        loss_weight: factor applied to the loss.
        loss_name: key of the loss in the loss dict (summed into the total loss, whatever the name).
        avg_non_ignore: average over the non-ignored pixels instead of all pixels.
    """

    mean_over_batch = True  # a mean over all (or all non-ignored) pixels of the batch

    def __init__(self, use_sigmoid: bool = False, reduction: str = 'mean',
                 class_weight: Optional[Sequence[float]] = None, loss_weight: float = 1.0,
                 loss_name: str = 'loss_ce', avg_non_ignore: bool = False):
        super().__init__(loss_name=loss_name, use_sigmoid=use_sigmoid, reduction=reduction,
                         loss_weight=loss_weight, class_weight=class_weight)
        self.avg_non_ignore = avg_non_ignore
        self.criterion = binary_cross_entropy if use_sigmoid else cross_entropy

    def forward(self, pred: torch.Tensor, target: torch.Tensor, weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[torch.Tensor] = None, reduction_override: Optional[str] = None,
                ignore_index: Optional[int] = None) -> torch.Tensor:
        """Loss of logits ``pred`` [N, C, ...] against ``target`` [N, ...] (``weight``: per pixel)."""
        reduction, ignore_index = self.resolve(reduction_override, ignore_index)
        loss = self.criterion(pred, target, weight, class_weight=self.class_weight, reduction=reduction,
                              avg_factor=avg_factor, ignore_index=ignore_index, avg_non_ignore=self.avg_non_ignore)
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return f'use_sigmoid={self.use_sigmoid}, avg_non_ignore={self.avg_non_ignore}, {super().extra_repr()}'
