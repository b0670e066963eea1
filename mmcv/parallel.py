"""Model wrappers that put each batch on the model's device and expose ``train_step``/``val_step``.

``MMDataParallel`` serves one device (a GPU or the CPU); ``MMDistributedDataParallel`` runs one
process per GPU on top of torch's DistributedDataParallel. Both keep the user's model as
``.module``, so state dicts carry the usual 'module.' prefix. SyncBatchNorm needs the second kind on
CUDA; :func:`revert_sync_batchnorm` turns it into BatchNorm2d for the first (CPU, one process, export).
"""
from typing import Any, Optional, Sequence, Union

import torch
import torch.nn as nn
from torch.nn.parallel import DataParallel, DistributedDataParallel

DeviceIds = Optional[Sequence[Union[int, torch.device]]]


def to_device(data: Any, device: torch.device, channels_last: bool = False) -> Any:
    """Move the tensors of a batch (inside dicts, lists and tuples) to ``device`` without blocking.

    'img_metas' entries stay as they are. With ``channels_last``, 4-D floating point tensors
    (images) are returned in channels_last memory format.
    """
    if isinstance(data, torch.Tensor):
        data = data.to(device, non_blocking=True)
        if channels_last and data.dim() == 4 and data.is_floating_point():
            data = data.contiguous(memory_format=torch.channels_last)
        return data
    if isinstance(data, dict):
        return {key: value if key == 'img_metas' else to_device(value, device, channels_last)
                for key, value in data.items()}
    if type(data) in (list, tuple):
        return type(data)(to_device(value, device, channels_last) for value in data)
    return data


def _pick_device(module: nn.Module, device_ids: DeviceIds, wrapper: str) -> torch.device:
    """The device of ``device_ids`` (one entry), or the one ``module``'s parameters are on."""
    if not device_ids:
        param = next(module.parameters(), None)
        return param.device if param is not None else torch.device('cpu')
    if len(device_ids) != 1:
        raise ValueError(f'{wrapper} drives one device per process, got device_ids={list(device_ids)}; '
                         'use one process per GPU (MMDistributedDataParallel, train_dist.sh)')
    device = device_ids[0]
    return device if isinstance(device, torch.device) else torch.device('cuda', device)


class MMDataParallel(nn.Module):
    """Run ``module`` on one device (``device_ids=[i]`` for GPU i, None for where it already is).

    Calls and ``train_step``/``val_step`` move the batch to that device first.
    """

    def __init__(self, module: nn.Module, device_ids: DeviceIds = None, channels_last: bool = False):
        super().__init__()
        self.device = _pick_device(module, device_ids, type(self).__name__)
        self.module = module.to(self.device)
        self.channels_last = channels_last

    def _prepare(self, data: Any) -> Any:
        return to_device(data, self.device, self.channels_last)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*self._prepare(args), **self._prepare(kwargs))

    def train_step(self, data_batch: dict, *args: Any, **kwargs: Any) -> dict:
        return self.module.train_step(self._prepare(data_batch), *args, **kwargs)

    def val_step(self, data_batch: dict, *args: Any, **kwargs: Any) -> dict:
        return self.module.val_step(self._prepare(data_batch), *args, **kwargs)


class _StepDispatcher(nn.Module):
    """The module DDP wraps: its forward calls ``train_step``, ``val_step`` or ``forward`` of the model.

    Routing every step through ``DistributedDataParallel.forward`` is what arms DDP's gradient
    all-reduce for the backward pass that follows.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.model, method)(*args, **kwargs)


class MMDistributedDataParallel(nn.Module):
    """Data-parallel training with one process per device, gradients averaged by torch DDP.

    Args:
        module: the model (already on its device).
        device_ids: ``[local_rank]`` on GPU, None on CPU (gloo).
        broadcast_buffers, find_unused_parameters, kwargs: passed to ``DistributedDataParallel``.
        channels_last: give 4-D float inputs to the model in channels_last memory format.
    """

    def __init__(self, module: nn.Module, device_ids: DeviceIds = None, broadcast_buffers: bool = False,
                 find_unused_parameters: bool = False, channels_last: bool = False, **kwargs: Any):
        super().__init__()
        self.device = _pick_device(module, device_ids, type(self).__name__)
        self.module = module.to(self.device)
        self.channels_last = channels_last
        ddp = DistributedDataParallel(_StepDispatcher(self.module), device_ids=device_ids,
                                      broadcast_buffers=broadcast_buffers,
                                      find_unused_parameters=find_unused_parameters, **kwargs)
        # Kept out of the module tree, so that state_dict() and parameters() list each tensor once.
        object.__setattr__(self, '_ddp', ddp)

    def _prepare(self, data: Any) -> Any:
        return to_device(data, self.device, self.channels_last)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self._ddp('forward', *self._prepare(args), **self._prepare(kwargs))

    def train_step(self, data_batch: dict, *args: Any, **kwargs: Any) -> dict:
        return self._ddp('train_step', self._prepare(data_batch), *args, **kwargs)

    def val_step(self, data_batch: dict, *args: Any, **kwargs: Any) -> dict:
        return self._ddp('val_step', self._prepare(data_batch), *args, **kwargs)


_WRAPPERS = (DataParallel, DistributedDataParallel, MMDataParallel, MMDistributedDataParallel)


def is_module_wrapper(module: nn.Module) -> bool:
    """Whether ``module`` wraps the user's model in ``.module`` (DataParallel, DDP, the MM wrappers)."""
    return isinstance(module, _WRAPPERS)


def unwrap_model(module: nn.Module) -> nn.Module:
    """The user's model inside any data-parallel wrappers and ``torch.compile``."""
    while True:
        if is_module_wrapper(module):
            module = module.module
        elif isinstance(getattr(module, '_orig_mod', None), nn.Module):
            module = module._orig_mod
        else:
            return module


def has_sync_batchnorm(model: nn.Module) -> bool:
    """Whether ``model`` holds a SyncBatchNorm layer (which runs only in CUDA process groups)."""
    return any(isinstance(m, nn.SyncBatchNorm) for m in model.modules())


def revert_sync_batchnorm(module: nn.Module) -> nn.Module:
    """Replace every SyncBatchNorm by a BatchNorm2d with the same state (for CPU, one process or export)."""
    converted = module
    if isinstance(module, nn.SyncBatchNorm):
        converted = nn.BatchNorm2d(module.num_features, module.eps, module.momentum, module.affine,
                                   module.track_running_stats)
        if module.affine:
            with torch.no_grad():
                converted.weight = module.weight
                converted.bias = module.bias
        converted.running_mean = module.running_mean
        converted.running_var = module.running_var
        converted.num_batches_tracked = module.num_batches_tracked
        converted.training = module.training
    for name, child in module.named_children():
        converted.add_module(name, revert_sync_batchnorm(child))
    return converted
