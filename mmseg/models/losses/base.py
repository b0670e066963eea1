"""The loss protocol: what a decode head may rely on in each of its ``loss_decode`` modules."""
import inspect
from abc import ABCMeta, abstractmethod
from typing import ClassVar, Optional, Sequence

import torch
from torch import nn

from .utils import check_reduction, class_weight_tensor

#: keys of a head's loss dict that are logged values, never loss names
LOG_ONLY_KEYS = ('acc_seg',)


class BaseLoss(nn.Module, metaclass=ABCMeta):
    """Base class of the losses (CrossEntropyLoss, DiceLoss, FocalLoss and any new one).

    A loss declares:

    - ``loss_name``: its key in the head's loss dict. The head declares its losses' names as losses
      (:attr:`BaseDecodeHead.loss_names`), and the segmentor's total loss is the sum of the declared losses,
      whatever their names (mmseg 0.x summed the keys that contain 'loss', hence its ``loss_`` prefix; the
      built-in names keep that prefix, and a name without it is summed all the same).
    - ``use_sigmoid``: one sigmoid per class instead of a softmax over the classes.
    - ``supports_binary``: whether it scores binary-mode logits (one channel: class 1); the sigmoid losses do.
    - ``reduction`` / ``loss_weight``: 'none', 'mean' or 'sum' and the factor applied to the loss.
    - ``mean_over_batch`` (class attribute): whether its 'mean' is the mean of per-image terms over the batch,
      so that the loss of K outputs stacked along the batch is the mean of their K losses (a head then
      evaluates deep supervision in one call).

    and one call: ``forward(pred, target, weight=None, avg_factor=None, reduction_override=None,
    ignore_index=None)`` with logits ``pred`` [N, C, ...], labels ``target`` [N, ...], per-pixel ``weight``
    [N, ...] (a pixel of weight 0 counts as ignored), ``avg_factor`` (the divisor of a 'mean'),
    ``reduction_override`` and ``ignore_index`` (None: the loss's own, :attr:`ignore_index`).

    Losses written for mmseg 0.x (an ``nn.Module`` with a ``loss_name`` and mmseg's forward) still work in a
    head without deriving from this class: :func:`check_loss` says what the head needs of them.
    """

    loss_name: str
    use_sigmoid: bool
    reduction: str
    loss_weight: float
    #: label excluded from the loss when the caller gives no ``ignore_index``
    ignore_index: int = 255
    mean_over_batch: ClassVar[bool] = False

    def __init__(self, *, loss_name: str, use_sigmoid: bool, reduction: str = 'mean', loss_weight: float = 1.0,
                 class_weight: Optional[Sequence[float]] = None):
        super().__init__()
        kind = type(self).__name__
        if not isinstance(loss_name, str) or not loss_name:
            raise TypeError(f'{kind}: loss_name must be a non-empty str (its key in the loss dict), '
                            f'got {loss_name!r}')
        if loss_name in LOG_ONLY_KEYS:
            raise ValueError(f'{kind}: loss_name {loss_name!r} is the name of a logged value; choose another')
        if not isinstance(use_sigmoid, bool):
            raise TypeError(f'{kind}: use_sigmoid must be a bool, got {use_sigmoid!r}')
        self.loss_name = loss_name
        self.use_sigmoid = use_sigmoid
        self.reduction = check_reduction(reduction, kind)
        self.loss_weight = loss_weight
        # not persistent: the config owns the weights, checkpoints do not carry them
        self.register_buffer('class_weight', class_weight_tensor(class_weight, kind), persistent=False)

    @property
    def supports_binary(self) -> bool:
        """Scores binary-mode logits (one channel: class 1)."""
        return self.use_sigmoid

    @property
    def batch_mean(self) -> bool:
        """Its value on K outputs stacked along the batch is the mean of its values on each output."""
        return self.mean_over_batch and self.reduction == 'mean'

    def resolve(self, reduction_override: Optional[str], ignore_index: Optional[int]):
        """The reduction and ignore label of one call: the arguments, or the loss's own."""
        reduction = check_reduction(reduction_override or self.reduction, type(self).__name__)
        return reduction, self.ignore_index if ignore_index is None else ignore_index

    @abstractmethod
    def forward(self, pred: torch.Tensor, target: torch.Tensor, weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[torch.Tensor] = None, reduction_override: Optional[str] = None,
                ignore_index: Optional[int] = None) -> torch.Tensor:
        """The loss of logits ``pred`` [N, C, ...] against labels ``target`` [N, ...], times ``loss_weight``."""

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}, loss_name={self.loss_name!r}'


def check_loss(loss: object, where: str, binary: bool) -> None:
    """Raise unless a head can use ``loss`` (built from the config described by ``where``).

    A :class:`BaseLoss` declares everything. Another loss (mmseg 0.x style) must be an ``nn.Module`` with a
    str ``loss_name`` whose forward takes ``(pred, target, ..., ignore_index=...)``; in binary mode it must also
    declare ``use_sigmoid = True``. The head calls such a loss once per output (never on stacked outputs).
    """
    kind = type(loss).__name__
    if isinstance(loss, BaseLoss):
        if binary and not loss.supports_binary:
            raise ValueError(f'{where}: binary mode (out_channels=1) needs sigmoid losses; set use_sigmoid=True')
        return
    if not isinstance(loss, nn.Module):
        raise TypeError(f'{where}: a loss must be an nn.Module (best: derive from mmseg.models.losses.BaseLoss), '
                        f'got {kind}')
    name = getattr(loss, 'loss_name', None)
    if not isinstance(name, str) or not name or name in LOG_ONLY_KEYS:
        raise TypeError(f'{where}: {kind} declares no loss_name (got {name!r}); give it a str loss_name, its key '
                        f'in the loss dict, or derive it from mmseg.models.losses.BaseLoss')
    params = inspect.signature(loss.forward).parameters.values()
    if not any(p.name == 'ignore_index' or p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        raise TypeError(f'{where}: {kind}.forward must accept ignore_index= (mmseg 0.x: forward(cls_score, '
                        f'label, weight=None, ignore_index=255, **kwargs))')
    if binary and getattr(loss, 'use_sigmoid', None) is not True:
        raise ValueError(f'{where}: binary mode (out_channels=1) needs sigmoid losses; {kind} must declare '
                         f'use_sigmoid = True (or derive from mmseg.models.losses.BaseLoss)')
