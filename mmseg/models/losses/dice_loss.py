"""Dice loss (Milletari et al., 2016), per image and per class, averaged over the real classes."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F

from ..builder import LOSSES
from .base import BaseLoss
from .utils import weight_reduce_loss


@LOSSES.register_module()
class DiceLoss(BaseLoss):
    """Dice loss (mmseg 0.x interface; the protocol of :class:`BaseLoss`).

    For image n and class c, with p the probabilities, t the one-hot labels and w the pixel weights (0 on
    ignored pixels, else ``weight`` or 1): ``1 - (2 * sum(w * p * t) + smooth) / (sum(w * p ** exponent) +
    sum(w * t ** exponent) + smooth)``. The loss of an image is the (class-weighted) mean over the classes
    0..C-1 other than ``ignore_index``; with C = 1 (binary mode) p is the sigmoid of the logit and the only
    class is class 1.

    Args:
        smooth: added to numerator and denominator (keeps images without a class finite and smooth).
        exponent: power of p and t in the denominator.
        reduction: over the images: 'none', 'mean' or 'sum'.
        class_weight: one weight per class, or None.
        loss_weight: factor applied to the loss.
        ignore_index: label excluded from the sums (a call's ``ignore_index`` overrides it).
        loss_name: key of the loss in the loss dict (summed into the total loss, whatever the name).
        use_sigmoid: accepted so that mmseg 0.x configs (``DiceLoss(use_sigmoid=False, ...)``) build; as in
            mmseg 0.x it does not choose anything: the number of channels does (1: sigmoid, more: softmax),
            so the loss supports binary mode whatever its value.
    """

    mean_over_batch = True  # 'mean' averages the per-image losses

    def __init__(self, smooth: float = 1.0, exponent: float = 2, reduction: str = 'mean',
                 class_weight: Optional[Sequence[float]] = None, loss_weight: float = 1.0,
                 ignore_index: int = 255, loss_name: str = 'loss_dice', use_sigmoid: bool = False):
        super().__init__(loss_name=loss_name, use_sigmoid=use_sigmoid, reduction=reduction,
                         loss_weight=loss_weight, class_weight=class_weight)
        self.smooth = smooth
        self.exponent = exponent
        self.ignore_index = ignore_index

    @property
    def supports_binary(self) -> bool:
        return True

    def forward(self, pred: torch.Tensor, target: torch.Tensor, weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[torch.Tensor] = None, reduction_override: Optional[str] = None,
                ignore_index: Optional[int] = None) -> torch.Tensor:
        """Loss of logits ``pred`` [N, C, ...] against ``target`` [N, ...] (``weight``: per pixel)."""
        reduction, ignore_index = self.resolve(reduction_override, ignore_index)
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
        pixel_weight = None if weight is None else weight.flatten(1).unsqueeze(1).float()

        def total(x: torch.Tensor) -> torch.Tensor:  # over the pixels, weighted
            return (x if pixel_weight is None else x * pixel_weight).sum(-1)

        numerator = 2 * total(prob * one_hot) + self.smooth
        denominator = total(prob.pow(self.exponent)) + total(one_hot.pow(self.exponent)) + self.smooth
        class_loss = 1 - numerator / denominator
        if self.class_weight is not None:
            class_loss = class_loss * self.class_weight
        if 0 <= ignore_index < num_classes:
            class_loss = torch.cat([class_loss[:, :ignore_index], class_loss[:, ignore_index + 1:]], dim=1)
        loss = class_loss.mean(dim=1)
        return self.loss_weight * weight_reduce_loss(loss, reduction=reduction, avg_factor=avg_factor)

    def extra_repr(self) -> str:
        return f'smooth={self.smooth}, exponent={self.exponent}, {super().extra_repr()}'
