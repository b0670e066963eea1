"""Soft-clDice loss (Shit et al., CVPR 2021): a topology-aware overlap of vessel skeletons."""
from typing import Optional

import torch
import torch.nn.functional as F

from ..builder import LOSSES
from .base import BaseLoss
from .utils import weight_reduce_loss


def soft_erode(img: torch.Tensor) -> torch.Tensor:
    """Soft erosion of [N, C, H, W] maps: the min over the 4-neighbourhood cross (min pooling)."""
    vertical = -F.max_pool2d(-img, (3, 1), stride=1, padding=(1, 0))
    horizontal = -F.max_pool2d(-img, (1, 3), stride=1, padding=(0, 1))
    return torch.min(vertical, horizontal)


def soft_dilate(img: torch.Tensor) -> torch.Tensor:
    """Soft dilation of [N, C, H, W] maps: the max over the 3x3 neighbourhood (max pooling)."""
    return F.max_pool2d(img, 3, stride=1, padding=1)


def soft_skeleton(img: torch.Tensor, iterations: int) -> torch.Tensor:
    """Differentiable skeleton of soft masks [N, C, H, W] in [0, 1]: what each of ``iterations`` + 1 soft
    openings removes from the successively eroded mask, accumulated (Shit et al., Algorithm 1)."""
    eroded = soft_erode(img)
    skeleton = F.relu(img - soft_dilate(eroded))
    for _ in range(iterations):
        img, eroded = eroded, soft_erode(eroded)  # the opening's erosion is the next iteration's mask
        delta = F.relu(img - soft_dilate(eroded))
        skeleton = skeleton + F.relu(delta - skeleton * delta)
    return skeleton


@LOSSES.register_module()
class SoftClDiceLoss(BaseLoss):
    """Soft-clDice loss on the vessel (class 1) probability, per image (the protocol of :class:`BaseLoss`).

    With p the vessel probability (softmax channel 1, or the sigmoid of the logit in binary mode), t the vessel
    mask, S(.) the soft skeleton and w the pixel weights (0 on ignored pixels, else ``weight`` or 1):
    ``Tprec = (sum(w * S(p) * t) + smooth) / (sum(w * S(p)) + smooth)``, ``Tsens = (sum(w * S(t) * p) + smooth) /
    (sum(w * S(t)) + smooth)`` and the loss is ``1 - 2 * Tprec * Tsens / (Tprec + Tsens)``. Ignored pixels (and
    pixels of weight 0) are background to both skeletons, so neither their labels nor their logits count.
    Meant beside CE and Dice (the paper trains with a mix), not alone.

    Args:
        iterations: soft erosions of the skeleton (k in the paper): at least half the width, in pixels, of the
            thickest vessel that should still reduce to a centreline.
        smooth: added to numerators and denominators (> 0: keeps images without vessels finite).
        reduction: over the images: 'none', 'mean' or 'sum'.
        loss_weight: factor applied to the loss.
        ignore_index: label excluded from the loss (a call's ``ignore_index`` overrides it).
        loss_name: key of the loss in the loss dict.
        use_sigmoid: as DiceLoss's, it chooses nothing: the number of channels does (1: sigmoid, more: softmax).
    """

    mean_over_batch = True  # 'mean' averages the per-image losses

    def __init__(self, iterations: int = 10, smooth: float = 1.0, reduction: str = 'mean', loss_weight: float = 1.0,
                 ignore_index: int = 255, loss_name: str = 'loss_cldice', use_sigmoid: bool = False):
        super().__init__(loss_name=loss_name, use_sigmoid=use_sigmoid, reduction=reduction, loss_weight=loss_weight)
        if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
            raise ValueError(f'SoftClDiceLoss: iterations must be an int >= 1 (soft erosions of the skeleton), '
                             f'got {iterations!r}')
        if isinstance(smooth, bool) or not isinstance(smooth, (int, float)) or smooth <= 0:
            raise ValueError(f'SoftClDiceLoss: smooth must be a number > 0 (0 divides by zero on an image '
                             f'without vessels), got {smooth!r}')
        self.iterations = iterations
        self.smooth = float(smooth)
        self.ignore_index = ignore_index

    @property
    def supports_binary(self) -> bool:
        return True

    def forward(self, pred: torch.Tensor, target: torch.Tensor, weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[torch.Tensor] = None, reduction_override: Optional[str] = None,
                ignore_index: Optional[int] = None) -> torch.Tensor:
        """Loss of logits ``pred`` [N, C, H, W] against ``target`` [N, H, W] (``weight``: per pixel)."""
        reduction, ignore_index = self.resolve(reduction_override, ignore_index)
        if pred.dim() != 4:
            raise ValueError(f'SoftClDiceLoss: pred must be [N, C, H, W] logits, got shape {tuple(pred.shape)}')
        pred = pred.float()
        prob = torch.sigmoid(pred[:, :1]) if pred.size(1) == 1 else F.softmax(pred, dim=1)[:, 1:2]
        valid = target != ignore_index
        pixel_weight = torch.ones_like(prob) if weight is None else weight.unsqueeze(1).float()
        if weight is not None:
            valid = valid & (weight > 0)
        valid = valid.unsqueeze(1).float()
        prob, vessel = prob * valid, (target == 1).unsqueeze(1).float() * valid
        pixel_weight = pixel_weight * valid

        def total(x: torch.Tensor) -> torch.Tensor:  # over the pixels of each image, weighted
            return (x * pixel_weight).flatten(1).sum(1)

        skel_pred, skel_true = soft_skeleton(prob, self.iterations), soft_skeleton(vessel, self.iterations)
        precision = (total(skel_pred * vessel) + self.smooth) / (total(skel_pred) + self.smooth)
        sensitivity = (total(skel_true * prob) + self.smooth) / (total(skel_true) + self.smooth)
        loss = 1 - 2 * precision * sensitivity / (precision + sensitivity)
        return self.loss_weight * weight_reduce_loss(loss, reduction=reduction, avg_factor=avg_factor)

    def extra_repr(self) -> str:
        return f'iterations={self.iterations}, smooth={self.smooth}, {super().extra_repr()}'
