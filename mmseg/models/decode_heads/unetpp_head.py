"""UNet++ decoder (Zhou et al., "UNet++: A Nested U-Net Architecture", 2018) with a full-resolution top row.

The nested grid has R rows (one per entry of ``channels``); row i works at 1/2^i of the input size.
Column 0 holds the encoder nodes:

* X^{0,0}: a light two-conv stem on the image itself (input level 0), so the top row sees every pixel
  at full resolution -- vessels 1-3 px wide are lost in a stride-2 feature map;
* X^{i,0}, 0 < i < R-1: encoder level i (the ResNet stem at 1/2, layer1 at 1/4, ...);
* X^{R-1,0}: a centre node H([level R-1, Up(level R)]) that folds the deepest encoder level (1/32 for
  ResNet) into the bottom row, so the grid keeps the paper's five rows with row 0 at full resolution.

Every other node is X^{i,j} = H([X^{i,0}, ..., X^{i,j-1}, Up(X^{i+1,j-1})]), H = two conv-BN-ReLU, Up =
bilinear resize to the row's size (any input size works, no divisibility needed). A 1x1 classifier on
each of X^{0,1..R-1} gives R-1 full-resolution outputs, supervised together (deep supervision).

At test time ``test_mode='accurate'`` averages the outputs' probabilities; ``test_mode='fast'`` with
``prune_level=k`` computes only the nodes X^{i,j} with i + j <= k that output k needs (UNet++ L_k).
"""
from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..builder import HEADS
from ..utils import DoubleConv, resize
from .decode_head import BaseDecodeHead


@HEADS.register_module()
class UNetPlusPlusHead(BaseDecodeHead):
    """UNet++ decode head with deep supervision at full input resolution.

    Args:
        in_channels: channels of the inputs picked by ``in_index``: the image first, then R encoder
            levels from 1/2 down (R = ``len(channels)``), e.g. ``[3, 64, 64, 128, 256, 512]``.
        channels: decoder width of each grid row, full resolution first, e.g. ``[16, 32, 64, 128, 256]``.
        in_index: levels of the segmentor's feature list (level 0 is the image).
        deep_supervision: classify (and supervise) every X^{0,j}; False keeps only the last output.
        ds_loss_weights: loss weight of each output X^{0,1..R-1}; default equal weights summing to 1,
            so the loss scale matches a single-output head.
        test_mode: 'accurate' (mean of the outputs' probabilities) or 'fast' (output ``prune_level`` only).
        prune_level: k in 1..R-1 for ``test_mode='fast'`` (default R-1, the full grid's last output).
        **kwargs: see :class:`BaseDecodeHead` (num_classes, out_channels, dropout_ratio, loss_decode, ...).
    """

    def __init__(self, in_channels: Sequence[int], channels: Sequence[int],
                 in_index: Sequence[int] = (0, 1, 2, 3, 4, 5), deep_supervision: bool = True,
                 ds_loss_weights: Optional[Sequence[float]] = None, test_mode: str = 'accurate',
                 prune_level: Optional[int] = None, **kwargs):
        super().__init__(list(in_channels), list(channels), in_index=list(in_index), **kwargs)
        rows = len(self.channels)
        if rows < 2 or len(self.in_channels) != rows + 1:
            raise ValueError(f'UNetPlusPlusHead: in_channels {self.in_channels} must list the image and '
                             f'len(channels) = {rows} encoder levels (and channels needs 2+ rows)')
        num_outputs = rows - 1 if deep_supervision else 1
        if ds_loss_weights is None:
            ds_loss_weights = [1.0 / num_outputs] * num_outputs
        if len(ds_loss_weights) != num_outputs:
            raise ValueError(f'UNetPlusPlusHead: ds_loss_weights needs {num_outputs} values '
                             f'(one per supervised output), got {list(ds_loss_weights)}')
        prune_level = rows - 1 if prune_level is None else prune_level
        if test_mode not in ('accurate', 'fast'):
            raise ValueError(f"UNetPlusPlusHead: test_mode must be 'accurate' or 'fast', got {test_mode!r}")
        if not 1 <= prune_level <= rows - 1 or (not deep_supervision and prune_level != rows - 1):
            raise ValueError(f'UNetPlusPlusHead: prune_level must be in 1..{rows - 1} (only {rows - 1} '
                             f'without deep supervision), got {prune_level}')
        self.num_rows = rows
        self.deep_supervision = deep_supervision
        self.output_weights = tuple(ds_loss_weights)
        self.test_mode = test_mode
        self.prune_level = prune_level

        encoder_channels = [self.channels[0], *self.in_channels[1:rows - 1], self.channels[-1]]
        self.stem = DoubleConv(self.in_channels[0], self.channels[0], self.norm_cfg)
        self.centre = DoubleConv(self.in_channels[-2] + self.in_channels[-1], self.channels[-1], self.norm_cfg)
        self.nodes = nn.ModuleDict()
        for j in range(1, rows):
            for i in range(rows - j):
                below = encoder_channels[i + 1] if j == 1 else self.channels[i + 1]
                node_in = encoder_channels[i] + (j - 1) * self.channels[i] + below
                self.nodes[f'{i}_{j}'] = DoubleConv(node_in, self.channels[i], self.norm_cfg)
        self.conv_segs = nn.ModuleList(self.make_classifier(self.channels[0]) for _ in range(num_outputs))

    def forward(self, inputs: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        """Logits of every supervised output, full resolution, shallowest output first."""
        top_row = self._top_row(inputs, depth=self.num_rows - 1)
        if not self.deep_supervision:
            top_row = top_row[-1:]
        return [self.cls_seg(feat, conv) for feat, conv in zip(top_row, self.conv_segs)]

    def forward_test(self, inputs: Sequence[torch.Tensor], img_metas: List[dict],
                     test_cfg: Optional[dict] = None) -> torch.Tensor:
        """Logits of the test mode; in 'accurate' mode log-probabilities whose softmax (sigmoid in
        binary mode) is the mean of the outputs' probabilities."""
        if self.test_mode == 'fast':
            return self.forward_pruned(inputs, self.prune_level)
        return self._mean_probability_logits(self.forward(inputs))

    def forward_pruned(self, inputs: Sequence[torch.Tensor], level: int) -> torch.Tensor:
        """Logits of output ``level`` computed by UNet++ L_level alone (the nodes with i + j <= level)."""
        feat = self._top_row(inputs, depth=level)[-1]
        return self.cls_seg(feat, self.conv_segs[level - 1 if self.deep_supervision else 0])

    def _top_row(self, inputs: Sequence[torch.Tensor], depth: int) -> List[torch.Tensor]:
        """Features X^{0,1..depth}, computing only the nodes with i + j <= depth."""
        levels = self._transform_inputs(inputs)
        rows: List[List[torch.Tensor]] = [[self.stem(levels[0])]]
        rows += [[levels[i]] for i in range(1, min(depth + 1, self.num_rows - 1))]
        if depth == self.num_rows - 1:
            skip, deepest = levels[-2], levels[-1]
            deepest = resize(deepest, skip.shape[2:], align_corners=self.align_corners)
            rows.append([self.centre(torch.cat([skip, deepest], dim=1))])
        for j in range(1, depth + 1):
            for i in range(depth - j + 1):
                below = resize(rows[i + 1][j - 1], rows[i][0].shape[2:], align_corners=self.align_corners)
                rows[i].append(self.nodes[f'{i}_{j}'](torch.cat([*rows[i], below], dim=1)))
        return rows[0][1:]

    def _mean_probability_logits(self, seg_logits: List[torch.Tensor]) -> torch.Tensor:
        if len(seg_logits) == 1:
            return seg_logits[0]
        logits = torch.stack(seg_logits).float()
        if self.binary:
            prob = torch.sigmoid(logits).mean(dim=0)
            return torch.logit(prob, eps=1e-6)
        prob = F.softmax(logits, dim=2).mean(dim=0)
        return torch.log(prob.clamp_min(1e-12))
