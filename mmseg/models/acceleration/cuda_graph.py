"""Replay a segmentor's training forward (and its backward) as CUDA graphs.

At 64x64 crops a UNet++ step launches over a thousand small kernels, so the GPU waits on Python and the
launch path. ``torch.cuda.make_graphed_callables`` records forward + losses once and replays them with one
launch each for forward and backward. Enable with ``model.train_cfg.cuda_graph=True`` (one process, CUDA,
fixed batch shape: the loader drops the last partial batch);
:func:`~mmseg.models.acceleration.accelerate_segmentor` applies it. Any batch that differs from the recorded one
(shape, dtype, autocast state) runs eagerly; a failed capture warns and falls back to eager for good.
"""
import warnings
from collections import OrderedDict
from typing import Callable, Dict, List, Optional, Tuple

import torch
from torch import nn

from mmcv.dist import is_distributed

LossFn = Callable[[torch.Tensor, List[dict], torch.Tensor], Dict[str, torch.Tensor]]


class StackedLosses(nn.Module):
    """``forward(img, gt)`` -> the values of ``loss_fn``'s dict stacked in one float32 tensor.

    ``model`` is registered as a child so that its parameters are the graph's parameters.
    """

    def __init__(self, model: nn.Module, loss_fn: LossFn, img_metas: List[dict]):
        super().__init__()
        self.model = model
        self.loss_fn = loss_fn
        self.img_metas = img_metas
        self.keys: Optional[List[str]] = None

    def forward(self, img: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
        losses = self.loss_fn(img, self.img_metas, gt)
        self.keys = list(losses)
        return torch.stack([value.float().mean() for value in losses.values()])


def _cuda_autocast_state() -> Tuple[bool, torch.dtype]:
    try:
        return torch.is_autocast_enabled('cuda'), torch.get_autocast_dtype('cuda')
    except (TypeError, AttributeError):  # torch < 2.4
        return torch.is_autocast_enabled(), torch.get_autocast_gpu_dtype()


def _signature(img: torch.Tensor, gt: torch.Tensor) -> Tuple:
    return (tuple(img.shape), img.dtype, img.is_contiguous(memory_format=torch.channels_last), tuple(gt.shape),
            img.device, _cuda_autocast_state())


class GraphedLosses:
    """Calls ``loss_fn(img, img_metas, gt)`` through a CUDA graph when it can, eagerly otherwise."""

    def __init__(self, model: nn.Module, loss_fn: LossFn):
        self.model = model
        self.loss_fn = loss_fn
        self.graphed: Optional[nn.Module] = None
        self.stacked: Optional[StackedLosses] = None
        self.signature: Optional[Tuple] = None
        self.disabled = False

    def usable(self, img: torch.Tensor) -> bool:
        return not self.disabled and img.is_cuda and torch.is_grad_enabled() and not is_distributed()

    def __call__(self, img: torch.Tensor, img_metas: List[dict],
                 gt_semantic_seg: torch.Tensor) -> Dict[str, torch.Tensor]:
        gt = gt_semantic_seg
        if not self.usable(img):
            return self.loss_fn(img, img_metas, gt)
        signature = _signature(img, gt)
        if self.graphed is None:
            self._capture(img, img_metas, gt, signature)
        if self.graphed is None or signature != self.signature:
            return self.loss_fn(img, img_metas, gt)
        # the graph's outputs live in static memory that the next replay overwrites: keep a copy
        values = self.graphed(img, gt).clone()
        return OrderedDict(zip(self.stacked.keys, values.unbind()))

    def _capture(self, img: torch.Tensor, img_metas: List[dict], gt: torch.Tensor, signature: Tuple) -> None:
        """Record the graphs; warm-up passes must not count as training, so buffers are restored after."""
        buffers = {name: buf.clone() for name, buf in self.model.named_buffers()}
        stacked = StackedLosses(self.model, self.loss_fn, img_metas)
        try:
            self.graphed = torch.cuda.make_graphed_callables(stacked, (img.detach(), gt.detach()),
                                                            allow_unused_input=True)
        except Exception as err:  # noqa: BLE001 - any capture failure means: train eagerly
            warnings.warn(f'CUDA graph capture of the training step failed ({type(err).__name__}: {err}); '
                          'training continues without CUDA graphs')
            self.disabled = True
            self.graphed = None
        with torch.no_grad():
            for name, buf in self.model.named_buffers():
                buf.copy_(buffers[name])
        self.stacked = stacked
        self.signature = signature
