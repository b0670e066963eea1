"""Base class of decode heads: input selection, classifiers, losses and accuracy."""
from abc import ABCMeta, abstractmethod
from typing import ClassVar, Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from ..builder import build_loss
from ..losses import BaseLoss, accuracy, check_loss
from ..utils import resize

Logits = Union[torch.Tensor, List[torch.Tensor]]


class BaseDecodeHead(nn.Module, metaclass=ABCMeta):
    """Common part of the decode heads (mmseg 0.x interface).

    Args:
        in_channels: channels of the selected input level(s): an int with an int ``in_index``,
            a list with a list ``in_index``.
        channels: width of the head's features.
        num_classes: number of classes of the task.
        out_channels: classifier outputs; None means ``num_classes``. ``out_channels=1`` with
            ``num_classes=2`` is binary mode: one sigmoid logit for class 1, thresholded at ``threshold``.
        threshold: binary mode only: P(class 1) above which a pixel is labelled 1 (default 0.5).
        dropout_ratio: channel dropout before each classifier (0 disables it).
        conv_cfg, norm_cfg, act_cfg: of the head's conv layers (None conv_cfg = Conv2d; default BN and ReLU).
        in_index: which level(s) of the segmentor's feature list the head reads.
        loss_decode: a loss config or a list of them; each adds an entry named by its ``loss_name``, and the
            names are the head's :attr:`loss_names` (see :class:`~mmseg.models.losses.BaseLoss`).
        ignore_index: label value excluded from losses and accuracy.
        align_corners: ``align_corners`` of every bilinear resize in the head.

    A head reads the segmentor's feature list (the backbone's outputs, mmseg's meaning of ``in_index``).
    A head that also needs the input image declares ``needs_image = True``; the segmentor then passes
    ``img=`` to :meth:`forward_train` / :meth:`forward_test`, which hand it to ``forward(inputs, img)``.
    """

    #: whether ``forward`` takes the input image as its second argument (e.g. UNet++'s full-resolution row)
    needs_image: ClassVar[bool] = False

    def __init__(self, in_channels: Union[int, Sequence[int]], channels: Union[int, Sequence[int]], *,
                 num_classes: int, out_channels: Optional[int] = None, threshold: Optional[float] = None,
                 dropout_ratio: float = 0.1, conv_cfg: Optional[dict] = None, norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = dict(type='ReLU'), in_index: Union[int, Sequence[int]] = -1,
                 loss_decode: Union[dict, Sequence[dict]] = dict(type='CrossEntropyLoss', loss_weight=1.0),
                 ignore_index: int = 255, align_corners: bool = False):
        super().__init__()
        if isinstance(in_index, int) != isinstance(in_channels, int) or (
                not isinstance(in_index, int) and len(in_index) != len(in_channels)):
            raise ValueError(f'{type(self).__name__}: in_channels {in_channels} and in_index {in_index} must '
                             f'both be ints or lists of the same length')
        out_channels = num_classes if out_channels is None else out_channels
        if out_channels == 1 and num_classes != 2:
            raise ValueError(f'{type(self).__name__}: out_channels=1 (binary mode) needs num_classes=2, '
                             f'got {num_classes}')
        if out_channels != 1 and out_channels != num_classes:
            raise ValueError(f'{type(self).__name__}: out_channels must be num_classes ({num_classes}) or 1, '
                             f'got {out_channels}')
        if threshold is not None and out_channels != 1:
            raise ValueError(f'{type(self).__name__}: threshold is for binary mode (out_channels=1)')
        self.in_channels = in_channels
        self.channels = channels
        self.num_classes = num_classes
        self.out_channels = out_channels
        self.threshold = 0.5 if threshold is None else threshold
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg or dict(type='BN', requires_grad=True)
        self.act_cfg = act_cfg
        self.in_index = in_index
        self.ignore_index = ignore_index
        self.align_corners = align_corners
        self.dropout = nn.Dropout2d(dropout_ratio) if dropout_ratio > 0 else nn.Identity()
        loss_cfgs = [loss_decode] if isinstance(loss_decode, dict) else list(loss_decode)
        losses = [build_loss(cfg) for cfg in loss_cfgs]
        for cfg, loss in zip(loss_cfgs, losses):
            check_loss(loss, f'{type(self).__name__}: loss_decode {cfg}', binary=out_channels == 1)
        self.loss_decode = nn.ModuleList(losses)
        # Loss weight of each output of forward() (deep supervision); one output by default.
        self.output_weights: Sequence[float] = (1.0,)

    @property
    def binary(self) -> bool:
        """One sigmoid output for class 1 instead of a softmax over the classes."""
        return self.out_channels == 1

    def make_classifier(self, in_channels: int) -> nn.Conv2d:
        """A 1x1 conv from ``in_channels`` features to class logits (small init, as in mmseg)."""
        conv = nn.Conv2d(in_channels, self.out_channels, kernel_size=1)
        nn.init.normal_(conv.weight, std=0.01)
        nn.init.zeros_(conv.bias)
        return conv

    def cls_seg(self, feat: torch.Tensor, classifier: Optional[nn.Module] = None) -> torch.Tensor:
        """Class logits of ``feat``: dropout then ``classifier`` (``self.conv_seg`` by default)."""
        classifier = self.conv_seg if classifier is None else classifier
        return classifier(self.dropout(feat))

    def _transform_inputs(self, inputs: Sequence[torch.Tensor]) -> Union[torch.Tensor, List[torch.Tensor]]:
        if isinstance(self.in_index, int):
            return inputs[self.in_index]
        return [inputs[i] for i in self.in_index]

    @abstractmethod
    def forward(self, inputs: Sequence[torch.Tensor]) -> Logits:
        """Logits of the head: one tensor, or one per supervised output."""

    def forward_train(self, inputs: Sequence[torch.Tensor], img_metas: List[dict], gt_semantic_seg: torch.Tensor,
                      train_cfg: Optional[dict] = None, img: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """Loss dict of the head on a training batch (``gt_semantic_seg``: [N, 1, H, W] labels)."""
        return self.losses(self._run(inputs, img), gt_semantic_seg)

    def forward_test(self, inputs: Sequence[torch.Tensor], img_metas: List[dict], test_cfg: Optional[dict] = None,
                     img: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Logits [N, out_channels, h, w] used for prediction."""
        return self._run(inputs, img)

    def check_test_cfg(self, test_cfg: dict) -> None:
        """Raise if ``test_cfg`` asks for a test option this head does not have (checked when the segmentor is
        built). Single-output heads have no ``test_mode`` / ``prune_level``."""
        for key in ('test_mode', 'prune_level'):
            if key in test_cfg:
                raise ValueError(f'test_cfg.{key} selects among the outputs of a deeply supervised head '
                                 f'(UNetPlusPlusHead); {type(self).__name__} has one output: remove the key')

    def _run(self, inputs: Sequence[torch.Tensor], img: Optional[torch.Tensor]) -> Logits:
        if not self.needs_image:
            return self(inputs)
        if img is None:
            raise ValueError(f'{type(self).__name__} reads the input image: pass img= to forward_train/forward_test')
        return self(inputs, img)

    @property
    def loss_names(self) -> Tuple[str, ...]:
        """The keys of :meth:`losses`'s dict that are losses (summed into the total loss); the other keys
        (``acc_seg``) are only logged. A head whose :meth:`losses` adds a loss of its own extends this."""
        return tuple(dict.fromkeys(loss.loss_name for loss in self.loss_decode))

    def losses(self, seg_logits: Logits, seg_label: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Each loss of ``loss_decode`` summed over the outputs with ``output_weights``; ``acc_seg`` (percent,
        a tensor: no host sync) of the last output."""
        if isinstance(seg_logits, torch.Tensor):
            seg_logits = [seg_logits]
        if len(seg_logits) != len(self.output_weights):
            raise ValueError(f'{type(self).__name__}: {len(seg_logits)} outputs but '
                             f'{len(self.output_weights)} output weights')
        label = seg_label.squeeze(1)
        seg_logits = [resize(logit, label.shape[1:], align_corners=self.align_corners) for logit in seg_logits]
        losses: Dict[str, torch.Tensor] = {}
        for loss_module in self.loss_decode:
            value = self._weighted_sum_over_outputs(loss_module, seg_logits, label)
            name = loss_module.loss_name
            losses[name] = losses[name] + value if name in losses else value
        losses['acc_seg'] = accuracy(seg_logits[-1].detach(), label, ignore_index=self.ignore_index,
                                     thresh=self.threshold if self.binary else None)
        return losses

    def _weighted_sum_over_outputs(self, loss_module: nn.Module, seg_logits: List[torch.Tensor],
                                   label: torch.Tensor) -> torch.Tensor:
        """sum_k w_k * loss(output k, label).

        With equal weights and a loss whose value on stacked outputs is the mean of its values
        (:attr:`BaseLoss.batch_mean`), one call on the outputs stacked along the batch gives the same value
        with K times fewer kernel launches, which is what bounds a small-crop training step on a GPU.
        """
        weights = self.output_weights
        if len(seg_logits) > 1 and len(set(weights)) == 1 and isinstance(loss_module, BaseLoss) \
                and loss_module.batch_mean:
            stacked = loss_module(torch.cat(seg_logits), label.repeat(len(seg_logits), 1, 1),
                                  ignore_index=self.ignore_index)
            return weights[0] * len(seg_logits) * stacked
        return sum(weight * loss_module(logit, label, ignore_index=self.ignore_index)
                   for weight, logit in zip(weights, seg_logits))
