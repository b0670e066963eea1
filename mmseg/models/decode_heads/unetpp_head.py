"""UNet++ decoder (Zhou et al., "UNet++: A Nested U-Net Architecture", 2018) with a full-resolution top row.

The nested grid has R rows (one per entry of ``channels``); row i works at 1/2^i of the input size.
The head reads R backbone levels (``in_index``, the segmentor's feature list as in mmseg) and the input
image, which it declares with ``needs_image = True``. Column 0 holds the encoder nodes:

* X^{0,0}: a light two-conv stem on the image itself, so the top row sees every pixel at full
  resolution -- vessels 1-3 px wide are lost in a stride-2 feature map;
* X^{i,0}, 0 < i < R-1: backbone level i-1 (the ResNet stem at 1/2, layer1 at 1/4, ...);
* X^{R-1,0}: a centre node H([level R-2, Up(level R-1)]) that folds the deepest level (1/32 for
  ResNet) into the bottom row, so the grid keeps the paper's five rows with row 0 at full resolution.

Every other node is X^{i,j} = H([X^{i,0}, ..., X^{i,j-1}, Up(X^{i+1,j-1})]), H = two conv-BN-ReLU, Up =
bilinear resize to the row's size (any input size works, no divisibility needed). A 1x1 classifier on
each of X^{0,1..R-1} gives R-1 full-resolution outputs, supervised together (deep supervision).

At test time ``test_mode='accurate'`` averages the outputs' probabilities; ``test_mode='fast'`` with
``prune_level=k`` computes only the nodes X^{i,j} with i + j <= k that output k needs (UNet++ L_k).
Both come from the head's arguments, overridden by the segmentor's ``test_cfg`` (mmseg's place for test
settings).
"""
import warnings
from typing import List, Optional, Sequence, Tuple

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
        in_channels: channels of the R backbone levels picked by ``in_index`` (R = ``len(channels)``), from
            1/2 down, e.g. ``[64, 64, 128, 256, 512]`` for ResNet-34. The older form that listed the image
            first (``[3, 64, ...]`` with ``in_index`` counting the image as level 0) still builds the same
            model (same parameter names) with a FutureWarning (shown to users by default).
        channels: decoder width of each grid row, full resolution first, e.g. ``[16, 32, 64, 128, 256]``.
        in_index: backbone levels read, one per entry of ``in_channels`` (default ``0..R-1``).
        img_channels: channels of the input image, read by the full-resolution stem.
        deep_supervision: classify (and supervise) every X^{0,j}; False keeps only the last output.
        ds_loss_weights: loss weight of each output X^{0,1..R-1}; default equal weights summing to 1,
            so the loss scale matches a single-output head.
        test_mode: 'accurate' (mean of the outputs' probabilities) or 'fast' (output ``prune_level`` only);
            ``model.test_cfg.test_mode`` overrides it.
        prune_level: k in 1..R-1 for ``test_mode='fast'`` (default R-1, the full grid's last output);
            ``model.test_cfg.prune_level`` overrides it. Given without ``test_mode='fast'`` (here, or in
            ``model.test_cfg``) it would have no effect, so it is an error.
        **kwargs: see :class:`BaseDecodeHead` (num_classes, out_channels, dropout_ratio, loss_decode, ...).
    """

    needs_image = True

    def __init__(self, in_channels: Sequence[int], channels: Sequence[int],
                 in_index: Optional[Sequence[int]] = None, img_channels: Optional[int] = None,
                 deep_supervision: bool = True, ds_loss_weights: Optional[Sequence[float]] = None,
                 test_mode: str = 'accurate', prune_level: Optional[int] = None, **kwargs):
        rows = len(channels)
        if kwargs.get('conv_cfg') is not None or kwargs.get('act_cfg', dict(type='ReLU')) != dict(type='ReLU'):
            raise ValueError('UNetPlusPlusHead: its nodes are Conv2d-norm-ReLU; conv_cfg and act_cfg cannot change '
                             f"them (got conv_cfg={kwargs.get('conv_cfg')}, act_cfg={kwargs.get('act_cfg')})")
        in_channels, in_index, img_channels = _image_first_form_to_levels(
            list(in_channels), None if in_index is None else list(in_index), img_channels, rows)
        super().__init__(in_channels, list(channels), in_index=in_index, **kwargs)
        if rows < 2 or len(self.in_channels) != rows:
            raise ValueError(f'UNetPlusPlusHead: in_channels {self.in_channels} must list len(channels) = {rows} '
                             f'backbone levels (and channels needs 2+ rows)')
        num_outputs = rows - 1 if deep_supervision else 1
        if ds_loss_weights is None:
            ds_loss_weights = [1.0 / num_outputs] * num_outputs
        if len(ds_loss_weights) != num_outputs:
            raise ValueError(f'UNetPlusPlusHead: ds_loss_weights needs {num_outputs} values '
                             f'(one per supervised output), got {list(ds_loss_weights)}')
        self.num_rows = rows
        self.img_channels = img_channels
        self.deep_supervision = deep_supervision
        self.output_weights = tuple(ds_loss_weights)
        self.test_mode, self.prune_level = self._test_settings(dict(test_mode=test_mode, prune_level=prune_level),
                                                               'the head')

        encoder_channels = [self.channels[0], *self.in_channels[:rows - 2], self.channels[-1]]
        self.stem = DoubleConv(img_channels, self.channels[0], self.norm_cfg)
        self.centre = DoubleConv(self.in_channels[-2] + self.in_channels[-1], self.channels[-1], self.norm_cfg)
        self.nodes = nn.ModuleDict()
        for j in range(1, rows):
            for i in range(rows - j):
                below = encoder_channels[i + 1] if j == 1 else self.channels[i + 1]
                node_in = encoder_channels[i] + (j - 1) * self.channels[i] + below
                self.nodes[f'{i}_{j}'] = DoubleConv(node_in, self.channels[i], self.norm_cfg)
        self.conv_segs = nn.ModuleList(self.make_classifier(self.channels[0]) for _ in range(num_outputs))

    def forward(self, inputs: Sequence[torch.Tensor], img: torch.Tensor) -> List[torch.Tensor]:
        """Logits of every supervised output, full resolution, shallowest output first."""
        top_row = self._top_row(inputs, img, depth=self.num_rows - 1)
        if not self.deep_supervision:
            top_row = top_row[-1:]
        return [self.cls_seg(feat, conv) for feat, conv in zip(top_row, self.conv_segs)]

    def forward_test(self, inputs: Sequence[torch.Tensor], img_metas: List[dict], test_cfg: Optional[dict] = None,
                     img: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Logits of the test mode (``test_cfg`` overrides the head's); in 'accurate' mode log-probabilities
        whose softmax (sigmoid in binary mode) is the mean of the outputs' probabilities."""
        if img is None:
            raise ValueError('UNetPlusPlusHead reads the input image: pass img= to forward_test')
        test_mode, prune_level = self._test_settings(test_cfg or {}, 'test_cfg')
        if test_mode == 'fast':
            return self.forward_pruned(inputs, img, prune_level)
        return self._mean_probability_logits(self(inputs, img))

    def check_test_cfg(self, test_cfg: dict) -> None:
        self._test_settings(test_cfg, 'test_cfg')

    def forward_pruned(self, inputs: Sequence[torch.Tensor], img: torch.Tensor, level: int) -> torch.Tensor:
        """Logits of output ``level`` computed by UNet++ L_level alone (the nodes with i + j <= level)."""
        feat = self._top_row(inputs, img, depth=level)[-1]
        return self.cls_seg(feat, self.conv_segs[level - 1 if self.deep_supervision else 0])

    def _test_settings(self, settings: dict, source: str) -> Tuple[str, int]:
        """(test_mode, prune_level) of ``settings``, the head's own where a key is missing (prune_level: the
        last output); checked. A prune_level given with a test_mode other than 'fast' would have no effect."""
        last = self.num_rows - 1
        test_mode = settings.get('test_mode', getattr(self, 'test_mode', None))
        given = settings.get('prune_level')
        prune_level = given if given is not None else getattr(self, 'prune_level', last)
        if test_mode not in ('accurate', 'fast'):
            raise ValueError(f"UNetPlusPlusHead ({source}): test_mode must be 'accurate' or 'fast', got {test_mode!r}")
        if not isinstance(prune_level, int) or not 1 <= prune_level <= last or (
                not self.deep_supervision and prune_level != last):
            allowed = f'1..{last}' if self.deep_supervision else f'{last} (no deep supervision: one output)'
            raise ValueError(f'UNetPlusPlusHead ({source}): prune_level must be {allowed}, got {prune_level!r}')
        if given is not None and test_mode != 'fast':
            key = '' if source == 'the head' else 'model.test_cfg.'
            origin = '' if 'test_mode' in settings else " (the head's)"
            raise ValueError(f'UNetPlusPlusHead: {key}prune_level={given!r} has no effect: test_mode is '
                             f"{test_mode!r}{origin}, and only test_mode='fast' runs a pruned network; set "
                             f"{key}test_mode='fast' as well, or drop {key}prune_level")
        return test_mode, prune_level

    def _top_row(self, inputs: Sequence[torch.Tensor], img: torch.Tensor, depth: int) -> List[torch.Tensor]:
        """Features X^{0,1..depth}, computing only the nodes with i + j <= depth."""
        levels = self._transform_inputs(inputs)
        rows: List[List[torch.Tensor]] = [[self.stem(img)]]
        rows += [[levels[i - 1]] for i in range(1, min(depth + 1, self.num_rows - 1))]
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


def _image_first_form_to_levels(in_channels: List[int], in_index: Optional[List[int]], img_channels: Optional[int],
                                rows: int) -> Tuple[List[int], List[int], int]:
    """(in_channels, in_index, img_channels) of the backbone levels; converts the deprecated form in which
    the image was feature level 0 (``in_channels=[3, 64, ...]``, ``in_index=[0, 1, ...]``)."""
    if len(in_channels) != rows + 1:
        return in_channels, list(range(rows)) if in_index is None else in_index, \
            3 if img_channels is None else img_channels
    in_index = list(range(rows + 1)) if in_index is None else in_index
    if img_channels is not None or len(in_index) != rows + 1 or in_index[0] != 0:
        raise ValueError(f'UNetPlusPlusHead: in_channels {in_channels} lists {rows + 1} inputs for '
                         f'{rows} rows; give the {rows} backbone levels (e.g. in_channels={in_channels[1:]}, '
                         f'in_index={list(range(rows))}) and img_channels={in_channels[0]}')
    warnings.warn(f'UNetPlusPlusHead: listing the image first in in_channels ({in_channels}) is deprecated: the '
                  f'feature list is the backbone outputs only; use in_channels={in_channels[1:]}, '
                  f'in_index={[i - 1 for i in in_index[1:]]}, img_channels={in_channels[0]}', FutureWarning)
    return in_channels[1:], [i - 1 for i in in_index[1:]], in_channels[0]
