"""FLOPs and parameters of a segmentor's test-time forward pass (tools/get_flops.py, benchmarks).

Convention (mmseg / mmcv's ``get_model_complexity_info``): one multiply-add counts as ONE FLOP.
``torch.utils.flop_counter.FlopCounterMode`` counts two FLOPs per multiply-add, so its total is halved.
Only convolutions and matrix products are counted (elementwise ops, normalisation, activations and
interpolation are left out; for conv nets they are a few percent at most).
"""
import copy
from dataclasses import dataclass
from typing import Callable, Sequence, Tuple

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

CONVENTION = 'FLOPs = multiply-adds of convolutions and matrix products (mmseg convention: 1 MAC = 1 FLOP)'


@dataclass
class Complexity:
    """What :func:`count_flops` measured: ``flops`` (multiply-adds) of one forward pass of ``input_shape``."""
    input_shape: Tuple[int, ...]
    flops: int
    params: int

    def __str__(self) -> str:
        return (f'Input shape: {self.input_shape}\nFlops: {self.flops / 1e9:.2f} GFLOPs\n'
                f'Params: {self.params / 1e6:.2f} M\n{CONVENTION}')


def dummy_forward(model: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """The pass mmseg's get_flops measures: ``forward_dummy`` if the model has one, else ``encode_decode``
    (backbone + decode head at test time, as configured by ``test_cfg``, on a single window/image)."""
    if hasattr(model, 'forward_dummy'):
        return model.forward_dummy
    if not hasattr(model, 'encode_decode'):
        raise TypeError(f'{type(model).__name__} has neither forward_dummy nor encode_decode: cannot count its '
                        'FLOPs as a segmentor')

    def forward(img: torch.Tensor) -> torch.Tensor:
        shape = (*img.shape[2:], img.shape[1])
        metas = [dict(ori_shape=shape, img_shape=shape, pad_shape=shape, flip=False)] * img.shape[0]
        return model.encode_decode(img, metas)
    return forward


def _normalise_shape(input_shape: Sequence[int]) -> Tuple[int, ...]:
    shape = tuple(int(s) for s in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f'input_shape must be (channels, height, width) of positive sizes, got {input_shape}')
    return shape


def count_flops(model: nn.Module, input_shape: Sequence[int], on_meta: bool = True) -> Complexity:
    """FLOPs (multiply-adds, see :data:`CONVENTION`) and parameters of one image of ``input_shape`` (C, H, W).

    With ``on_meta`` the pass runs on a copy of the model on the ``meta`` device: shapes only, no
    arithmetic, so any input size is counted in a moment and without memory; a model that cannot run on
    ``meta`` is counted on its own device instead. ``model`` itself is left unchanged (its mode too).
    """
    shape = _normalise_shape(input_shape)
    params = sum(p.numel() for p in model.parameters())
    if on_meta:
        try:
            return Complexity(shape, _count(copy.deepcopy(model).to('meta'), shape, torch.device('meta')), params)
        except (NotImplementedError, RuntimeError):
            pass  # e.g. a model that reads tensor values (.item(), numpy): count it for real
    device = next((p.device for p in model.parameters()), torch.device('cpu'))
    was_training = model.training
    try:
        return Complexity(shape, _count(model, shape, device), params)
    finally:
        model.train(was_training)


def _count(model: nn.Module, shape: Tuple[int, ...], device: torch.device) -> int:
    model.eval()
    forward = dummy_forward(model)
    img = torch.zeros((1, *shape), device=device)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        forward(img)
    return counter.get_total_flops() // 2
