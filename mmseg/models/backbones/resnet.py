"""ResNet encoder built on torchvision's ResNet, returning a feature pyramid instead of class scores.

Level 0 is the stem (conv1/bn1/relu, stride 2, before the max-pool); levels 1..4 are layer1..layer4
(strides 4, 8, 16, 32). Module names are torchvision's, so torchvision ImageNet checkpoints load as is.
"""
import functools
from typing import List, Optional, Sequence

import torch
from torch import nn
from torchvision.models import resnet as tv_resnet

from ..builder import BACKBONES
from ..utils import build_norm, eval_norm_layers

_ARCH_SETTINGS = {
    18: (tv_resnet.BasicBlock, (2, 2, 2, 2)),
    34: (tv_resnet.BasicBlock, (3, 4, 6, 3)),
    50: (tv_resnet.Bottleneck, (3, 4, 6, 3)),
}


@BACKBONES.register_module()
class ResNet(tv_resnet.ResNet):
    """Multi-level ResNet-18/34/50 encoder.

    Args:
        depth: 18, 34 or 50.
        out_indices: levels to return, shallowest first (0 = stem at 1/2, 1..4 = layer1..layer4).
            Stages deeper than the deepest requested level are not built.
        norm_cfg: normalization of every layer (BN, SyncBN or GN).
        norm_eval: keep the norm layers in eval mode (frozen statistics) while training.
        frozen_stages: freeze the stem (0) and layer1..layer<k> (k >= 1); -1 freezes nothing.
        pretrained: checkpoint to load in :meth:`init_weights` (a path or ``'torchvision://resnet34'``);
            shorthand for ``init_cfg=dict(type='Pretrained', checkpoint=pretrained)``.
        init_cfg: ``dict(type='Pretrained', checkpoint=...)`` or None (torchvision's random init).
    """

    def __init__(self, depth: int = 34, out_indices: Sequence[int] = (0, 1, 2, 3, 4),
                 norm_cfg: Optional[dict] = None, norm_eval: bool = False, frozen_stages: int = -1,
                 pretrained: Optional[str] = None, init_cfg: Optional[dict] = None):
        if depth not in _ARCH_SETTINGS:
            raise KeyError(f'ResNet depth must be one of {sorted(_ARCH_SETTINGS)}, got {depth}')
        out_indices = tuple(out_indices)
        if not out_indices or list(out_indices) != sorted(set(out_indices)) or out_indices[0] < 0 \
                or out_indices[-1] > 4:
            raise ValueError(f'ResNet out_indices must be increasing levels in 0..4, got {out_indices}')
        if pretrained is not None and init_cfg is not None:
            raise ValueError('ResNet: give the checkpoint as pretrained or as init_cfg, not both')
        norm_cfg = norm_cfg or dict(type='BN', requires_grad=True)
        block, layers = _ARCH_SETTINGS[depth]
        super().__init__(block, list(layers), norm_layer=functools.partial(build_norm, norm_cfg))
        del self.avgpool, self.fc
        self.num_stages = out_indices[-1]
        for i in range(self.num_stages + 1, 5):
            delattr(self, f'layer{i}')
        self.depth = depth
        self.out_indices = out_indices
        self.norm_eval = norm_eval
        self.frozen_stages = frozen_stages
        self.init_cfg = dict(type='Pretrained', checkpoint=pretrained) if pretrained else init_cfg
        self._freeze_stages()

    @property
    def out_channels(self) -> List[int]:
        """Channels of the returned levels, in order."""
        expansion = 4 if self.depth == 50 else 1
        channels = [64] + [64 * 2 ** i * expansion for i in range(4)]
        return [channels[i] for i in self.out_indices]

    def init_weights(self) -> None:
        """Load the checkpoint of ``init_cfg`` (if any) over torchvision's random init.

        The classifier (fc) and the stages that were not built are skipped; other differences are reported.
        """
        if self.init_cfg is None:
            return
        if self.init_cfg.get('type') != 'Pretrained' or 'checkpoint' not in self.init_cfg:
            raise ValueError(f"ResNet init_cfg must be dict(type='Pretrained', checkpoint=...), got {self.init_cfg}")
        from mmcv.checkpoint import _load_checkpoint, load_state_dict

        checkpoint = _load_checkpoint(self.init_cfg['checkpoint'], map_location='cpu')
        state_dict = checkpoint.get('state_dict', checkpoint)
        unused = ('fc.', *(f'layer{i}.' for i in range(self.num_stages + 1, 5)))
        state_dict = {key: value for key, value in state_dict.items() if not key.startswith(unused)}
        load_state_dict(self, state_dict, strict=False, source=str(self.init_cfg['checkpoint']))
        self._freeze_stages()

    def _freeze_stages(self) -> None:
        stages = [nn.ModuleList([self.conv1, self.bn1])]
        stages += [getattr(self, f'layer{i}') for i in range(1, self.num_stages + 1)]
        for stage in stages[:self.frozen_stages + 1]:
            stage.eval()
            for param in stage.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'ResNet':
        """Switch mode, keeping frozen stages (and all norms when ``norm_eval``) in eval mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            eval_norm_layers(self)
        return self

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        x = self.relu(self.bn1(self.conv1(x)))
        levels = [x]
        x = self.maxpool(x)
        for i in range(1, self.num_stages + 1):
            x = getattr(self, f'layer{i}')(x)
            levels.append(x)
        return [levels[i] for i in self.out_indices]
