"""Base class of segmentors: the train/test entry points that the runner and the test loop call."""
from abc import ABCMeta, abstractmethod
from collections import OrderedDict
from typing import AbstractSet, Dict, FrozenSet, List, Sequence, Tuple, Union

import torch
from torch import nn

from mmcv.dist import all_reduce_mean, is_distributed
from mmseg.core.seg_result import SegResult

TestResult = SegResult  # one per image: label map, and probabilities when asked for (return_prob)


class BaseSegmentor(nn.Module, metaclass=ABCMeta):
    """Dispatches ``forward`` to training or testing and turns loss dicts into runner outputs."""

    @property
    def with_neck(self) -> bool:
        return getattr(self, 'neck', None) is not None

    @property
    def with_auxiliary_head(self) -> bool:
        return getattr(self, 'auxiliary_head', None) is not None

    @property
    def with_decode_head(self) -> bool:
        return getattr(self, 'decode_head', None) is not None

    @abstractmethod
    def extract_feat(self, img: torch.Tensor) -> List[torch.Tensor]:
        """Feature levels of a batch of images."""

    @abstractmethod
    def encode_decode(self, img: torch.Tensor, img_metas: List[dict]) -> torch.Tensor:
        """Logits of a batch of images at the images' size."""

    @abstractmethod
    def forward_train(self, img: torch.Tensor, img_metas: List[dict], **kwargs) -> Dict[str, torch.Tensor]:
        """Loss dict of a training batch."""

    @abstractmethod
    def loss_keys(self) -> FrozenSet[str]:
        """The keys of :meth:`forward_train`'s dict that are losses: their sum is the total loss, the other
        entries (accuracies) are only logged."""

    @abstractmethod
    def simple_test(self, img: torch.Tensor, img_meta: List[dict], rescale: bool = True,
                    **kwargs) -> List[TestResult]:
        """Predictions of one view of a batch of images."""

    @abstractmethod
    def aug_test(self, imgs: List[torch.Tensor], img_metas: List[List[dict]], rescale: bool = True,
                 **kwargs) -> List[TestResult]:
        """Predictions averaged over several views (flips, scales) of the images."""

    def forward_test(self, imgs: List[torch.Tensor], img_metas: List[List[dict]], **kwargs) -> List[TestResult]:
        """Test one batch given as one tensor (and meta list) per augmentation."""
        for name, value in (('imgs', imgs), ('img_metas', img_metas)):
            if not isinstance(value, list):
                raise TypeError(f'{type(self).__name__}.forward_test: {name} must be a list (one entry per '
                                f'augmentation), got {type(value).__name__}')
        if len(imgs) != len(img_metas):
            raise ValueError(f'{type(self).__name__}.forward_test: {len(imgs)} augmentations of imgs but '
                             f'{len(img_metas)} of img_metas')
        for metas in img_metas:
            if len({tuple(meta['ori_shape']) for meta in metas}) != 1:
                raise ValueError('forward_test: the images of one batch must share their ori_shape')
        if len(imgs) == 1:
            return self.simple_test(imgs[0], img_metas[0], **kwargs)
        return self.aug_test(imgs, img_metas, **kwargs)

    def forward(self, img, img_metas, return_loss: bool = True, **kwargs):
        """``forward_train(img, img_metas, **kwargs)`` or, with ``return_loss=False``, ``forward_test``."""
        if return_loss:
            return self.forward_train(img, img_metas, **kwargs)
        return self.forward_test(img, img_metas, **kwargs)

    def train_step(self, data_batch: dict, optimizer=None, **kwargs) -> dict:
        """One training forward: ``dict(loss, log_vars, num_samples)`` for the runner (which steps the
        optimizer). ``log_vars`` values are detached 0-dim tensors, averaged over ranks."""
        losses = self(**data_batch)
        loss, log_vars = self._parse_losses(losses, self.loss_keys())
        return dict(loss=loss, log_vars=log_vars, num_samples=len(data_batch['img_metas']))

    def val_step(self, data_batch: dict, optimizer=None, **kwargs) -> dict:
        """Like :meth:`train_step` on a validation batch; the log keys end in '_val'."""
        outputs = self.train_step(data_batch)
        outputs['log_vars'] = OrderedDict((f'{name}_val', value) for name, value in outputs['log_vars'].items())
        return outputs

    @staticmethod
    def _parse_losses(losses: Dict[str, Union[torch.Tensor, Sequence[torch.Tensor]]], loss_keys: AbstractSet[str]
                      ) -> Tuple[torch.Tensor, 'OrderedDict[str, torch.Tensor]']:
        """Total loss (the sum of the entries named in ``loss_keys``) and the detached values to log.

        mmseg 0.x summed every entry whose name contains 'loss' (so loss names had to start with ``loss_``);
        here the losses are declared (each loss module's ``loss_name``, gathered by the heads), so a loss is
        summed whatever its name and a logged value is never summed. An entry that is not declared but whose
        name contains 'loss' is an error rather than silently left out of the total.

        All values travel in one stacked tensor, so a distributed run pays one all_reduce per step and
        nothing is copied to the host here.
        """
        missing = sorted(set(loss_keys) - set(losses))
        if missing:
            raise ValueError(f'the loss dict lacks the declared loss(es) {missing}; it has {list(losses)}')
        undeclared = [name for name in losses if name not in loss_keys and 'loss' in name]
        if undeclared:
            raise ValueError(f'{undeclared[0]!r} looks like a loss but is not declared (declared: '
                             f'{sorted(loss_keys)}): the total loss sums the declared losses only. A head that adds '
                             f'a loss of its own lists it in its loss_names; a value that is only logged needs a '
                             f"name without 'loss'")
        values = OrderedDict()
        for name, value in losses.items():
            if isinstance(value, torch.Tensor):
                values[name] = value.mean()
            elif isinstance(value, (list, tuple)) and all(isinstance(v, torch.Tensor) for v in value):
                values[name] = sum(v.mean() for v in value)
            else:
                raise TypeError(f'loss {name!r} must be a tensor or a list of tensors, got {type(value).__name__}')
        loss = sum(value for name, value in values.items() if name in loss_keys)
        values['loss'] = loss
        stacked = torch.stack([value.detach().float() for value in values.values()])
        if is_distributed():
            all_reduce_mean(stacked)
        return loss, OrderedDict(zip(values, stacked.unbind()))
