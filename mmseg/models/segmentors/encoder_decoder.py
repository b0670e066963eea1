"""Encoder-decoder segmentor: backbone (+ neck) -> decode head (+ auxiliary heads)."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..builder import SEGMENTORS, build_backbone, build_head, build_neck
from ..utils import resize
from .base import BaseSegmentor, TestResult
from .checks import check_head_channels, check_slide_windows, checked_test_cfg, checked_train_cfg
from .test_time import DIHEDRAL_VIEWS, dihedral_view, undo_dihedral_view, window_weights

Box = Tuple[int, int, int, int]


@SEGMENTORS.register_module()
class EncoderDecoder(BaseSegmentor):
    """Backbone, optional neck, decode head and optional auxiliary head(s) (mmseg 0.x interface).

    The feature list that heads read is the backbone's (or neck's) outputs, nothing else, so ``out_indices``
    and a head's ``in_index`` mean what they mean in mmseg. A head that also needs the input image declares
    it (``needs_image = True``, e.g. UNet++'s full-resolution row) and receives ``img=`` explicitly. Each
    head's ``in_channels`` are checked against the backbone's ``out_channels`` when the model is built.

    Args:
        backbone, decode_head, neck, auxiliary_head: component configs (``auxiliary_head`` may be a list).
        train_cfg: training options (passed to the heads); ``compile`` / ``cuda_graph`` are applied to
            :meth:`forward_train` by :func:`mmseg.models.acceleration.accelerate_segmentor`, not here.
        test_cfg: ``mode='whole'`` (default) or ``'slide'`` with ``crop_size``, ``stride`` (int or (h, w)) and
            ``window_batch`` (windows per forward pass, default 16: bounds memory; 1 = one at a time) and
            ``blend`` ('uniform': plain mean of overlapping windows, default; 'gaussian': centre-weighted);
            ``tta='dihedral'`` (mean over the 8 flips and quarter turns; MultiScaleFlipAug views still apply);
            ``test_mode`` / ``prune_level`` override a UNet++ head's; ``compile`` (applied to
            :meth:`encode_decode` as ``train_cfg``'s). Unknown keys in either dict are errors (:mod:`.checks`
            lists the known ones).
        pretrained: backbone checkpoint (mmseg 0.x shorthand for ``backbone.init_cfg``).
    """

    def __init__(self, backbone: dict, decode_head: dict, neck: Optional[dict] = None,
                 auxiliary_head: Union[dict, Sequence[dict], None] = None, train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None, pretrained: Optional[str] = None):
        super().__init__()
        if pretrained is not None:
            backbone = dict(backbone, pretrained=pretrained)
        self.backbone = build_backbone(backbone)
        self.neck = build_neck(neck) if neck is not None else None
        self.decode_head = build_head(decode_head)
        self.align_corners = self.decode_head.align_corners
        self.num_classes = self.decode_head.num_classes
        self.out_channels = self.decode_head.out_channels
        if auxiliary_head is None:
            self.auxiliary_head = None
        elif isinstance(auxiliary_head, dict):
            self.auxiliary_head = build_head(auxiliary_head)
        else:
            self.auxiliary_head = nn.ModuleList(build_head(cfg) for cfg in auxiliary_head)
        self.train_cfg = checked_train_cfg(train_cfg)
        self.test_cfg = checked_test_cfg(test_cfg)
        feature_maker = self.neck if self.neck is not None else self.backbone
        feature_channels = getattr(feature_maker, 'out_channels', None)
        source = f'{"neck" if self.neck is not None else "backbone"} {type(feature_maker).__name__}'
        for name, _, head in self._named_heads():
            check_head_channels(head, name, feature_channels if isinstance(feature_channels, list) else None,
                                source)
        self.decode_head.check_test_cfg(self.test_cfg)

    def init_weights(self) -> None:
        """Load the backbone's pretrained weights (heads are initialised when built)."""
        self.backbone.init_weights()

    def _named_heads(self) -> List[Tuple[str, str, nn.Module]]:
        """(config name, loss prefix, head) of every head: 'decode', then 'aux' or 'aux_<i>' as in mmseg."""
        heads = [('decode_head', 'decode', self.decode_head)]
        if isinstance(self.auxiliary_head, nn.ModuleList):
            heads += [(f'auxiliary_head[{i}]', f'aux_{i}', head) for i, head in enumerate(self.auxiliary_head)]
        elif self.auxiliary_head is not None:
            heads.append(('auxiliary_head', 'aux', self.auxiliary_head))
        return heads

    def extract_feat(self, img: torch.Tensor) -> List[torch.Tensor]:
        """The backbone's (and neck's) outputs: the feature list that ``in_index`` refers to."""
        feats = self.backbone(img)
        if self.neck is not None:
            feats = self.neck(feats)
        return feats

    def encode_decode(self, img: torch.Tensor, img_metas: List[dict]) -> torch.Tensor:
        """Test-mode logits of the decode head, resized to the size of ``img``."""
        seg_logit = self.decode_head.forward_test(self.extract_feat(img), img_metas, self.test_cfg,
                                                  **_image_arg(self.decode_head, img))
        return resize(seg_logit, img.shape[2:], align_corners=self.align_corners)

    def forward_train(self, img: torch.Tensor, img_metas: List[dict],
                      gt_semantic_seg: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Losses of the decode head ('decode.*') and auxiliary head(s) ('aux.*', 'aux_<i>.*')."""
        feats = self.extract_feat(img)
        losses = {}
        for _, prefix, head in self._named_heads():
            losses.update(_add_prefix(head.forward_train(feats, img_metas, gt_semantic_seg, self.train_cfg,
                                                         **_image_arg(head, img)), prefix))
        return losses

    def loss_keys(self) -> frozenset[str]:
        """The losses that the heads declare (:attr:`BaseDecodeHead.loss_names`), with their heads' prefixes."""
        return frozenset(f'{prefix}.{name}' for _, prefix, head in self._named_heads() for name in head.loss_names)

    def whole_inference(self, img: torch.Tensor, img_meta: List[dict], rescale: bool) -> torch.Tensor:
        """Logits of the whole image in one pass (at the original image size when ``rescale``)."""
        seg_logit = self.encode_decode(img, img_meta)
        return self._restore_size(seg_logit, img_meta) if rescale else seg_logit

    def slide_inference(self, img: torch.Tensor, img_meta: List[dict], rescale: bool) -> torch.Tensor:
        """Logits averaged over overlapping windows, ``window_batch`` windows per forward pass; with
        ``test_cfg.blend='gaussian'`` a weighted mean, each window's logits weighted by a Gaussian centred on it.

        Windows are independent in eval mode, so any ``window_batch`` gives what one window at a time gives.
        """
        batch_size, _, height, width = img.shape
        boxes = _window_boxes(height, width, self.test_cfg['crop_size'], self.test_cfg['stride'])
        window_batch = self.test_cfg.get('window_batch', 16)
        y1, y2, x1, x2 = boxes[0]  # every window has this size
        weights = window_weights(y2 - y1, x2 - x1, self.test_cfg.get('blend', 'uniform'))
        weight = None if weights is None else torch.from_numpy(weights).to(img.device)
        seg_logit = img.new_zeros((batch_size, self.out_channels, height, width), dtype=torch.float32)
        for start in range(0, len(boxes), window_batch):
            chunk = boxes[start:start + window_batch]
            windows = torch.cat([img[:, :, y1:y2, x1:x2] for y1, y2, x1, x2 in chunk])
            logits = self.encode_decode(windows, img_meta).float().split(batch_size)
            for (y1, y2, x1, x2), logit in zip(chunk, logits):
                seg_logit[:, :, y1:y2, x1:x2] += logit if weight is None else logit * weight
        count = np.zeros((height, width), dtype=np.float32)
        for y1, y2, x1, x2 in boxes:
            count[y1:y2, x1:x2] += 1 if weights is None else weights
        seg_logit /= torch.from_numpy(count).to(seg_logit.device, non_blocking=True)
        return self._restore_size(seg_logit, img_meta) if rescale else seg_logit

    def inference(self, img: torch.Tensor, img_meta: List[dict], rescale: bool = True) -> torch.Tensor:
        """Class probabilities [N, out_channels, H, W] (sigmoid of class 1 in binary mode), un-flipped; with
        ``test_cfg.tta='dihedral'`` the mean over the 8 flips and quarter turns of ``img``, each mapped back.

        A quarter turn swaps height and width: each view is predicted without rescaling (whole and slide
        inference take any shape), turned back, then cropped and resized as the plain prediction is.
        """
        mode = self.test_cfg.get('mode', 'whole')
        infer = self.slide_inference if mode == 'slide' else self.whole_inference
        if self.test_cfg.get('tta') == 'dihedral':
            prob = 0
            for turns, flip in DIHEDRAL_VIEWS:
                seg_logit = undo_dihedral_view(infer(dihedral_view(img, turns, flip), img_meta, False), turns, flip)
                prob = prob + self._probabilities(self._restore_size(seg_logit, img_meta) if rescale else seg_logit)
            prob = prob / len(DIHEDRAL_VIEWS)
        else:
            prob = self._probabilities(infer(img, img_meta, rescale))
        if img_meta[0].get('flip', False):
            direction = img_meta[0].get('flip_direction', 'horizontal')
            if direction not in ('horizontal', 'vertical'):
                raise ValueError(f"img_meta flip_direction must be 'horizontal' or 'vertical', got {direction!r}")
            prob = prob.flip(dims=(3,) if direction == 'horizontal' else (2,))
        return prob

    def simple_test(self, img: torch.Tensor, img_meta: List[dict], rescale: bool = True,
                    return_prob: bool = False) -> List[TestResult]:
        """One :class:`~mmseg.core.SegResult` per image: its label map (int64 [H, W]) or, with ``return_prob``,
        its label map (uint8) and ``prob`` (float16 P(class 1))."""
        return self._format_results(self.inference(img, img_meta, rescale), return_prob)

    def aug_test(self, imgs: List[torch.Tensor], img_metas: List[List[dict]], rescale: bool = True,
                 return_prob: bool = False) -> List[TestResult]:
        """Like :meth:`simple_test` with the probabilities averaged over the views (flips, scales)."""
        if not rescale:
            raise ValueError('aug_test needs rescale=True: views of different scales are averaged at the '
                             'original image size')
        prob = self.inference(imgs[0], img_metas[0], rescale)
        for img, img_meta in zip(imgs[1:], img_metas[1:]):
            prob = prob + self.inference(img, img_meta, rescale)
        return self._format_results(prob / len(imgs), return_prob)

    def _probabilities(self, seg_logit: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(seg_logit) if self.out_channels == 1 else F.softmax(seg_logit, dim=1)

    def _restore_size(self, seg_logit: torch.Tensor, img_meta: List[dict]) -> torch.Tensor:
        """Drop the padding (beyond ``img_shape``) and resize to ``ori_shape``."""
        height, width = img_meta[0]['img_shape'][:2]
        seg_logit = seg_logit[:, :, :height, :width]
        return resize(seg_logit, img_meta[0]['ori_shape'][:2], align_corners=self.align_corners)

    def _format_results(self, prob: torch.Tensor, return_prob: bool) -> List[TestResult]:
        threshold = (self.test_cfg or {}).get('threshold')
        if threshold == 'calibrated':
            raise ValueError("test_cfg.threshold='calibrated' needs the threshold stored in the checkpoint by "
                             'tools/calibrate_threshold.py; the loaded checkpoint has none (or none was loaded)')
        if threshold is not None and prob.shape[1] > 2:
            raise ValueError(f'test_cfg.threshold is for two-class (vessel) models; this one has {prob.shape[1]} '
                             'classes')
        fg_prob = prob[:, 0] if self.out_channels == 1 else prob[:, 1]
        if threshold is not None:
            pred = (fg_prob >= threshold).long()  # as tools/calibrate_threshold.py counts
        elif self.out_channels == 1:
            pred = (fg_prob > self.decode_head.threshold).long()
        else:
            pred = prob.argmax(dim=1)
        if not return_prob:
            return [TestResult(label_map=p) for p in pred.cpu().numpy()]
        preds = pred.to(torch.uint8).cpu().numpy()
        probs = fg_prob.to(torch.float16).cpu().numpy()
        return [TestResult(label_map=p, prob=q) for p, q in zip(preds, probs)]


def _window_boxes(height: int, width: int, crop_size: Sequence[int], stride: Sequence[int]) -> List[Box]:
    """(y1, y2, x1, x2) of the sliding windows covering the image; the last row/column is shifted back to
    end at the border, so every window has the same size (min of crop and image). ValueError if
    ``stride`` exceeds ``crop_size``: windows would skip pixels."""
    check_slide_windows(crop_size, stride)  # test_cfg may have changed since the build check
    (crop_h, crop_w), (stride_h, stride_w) = crop_size, stride
    rows = max(height - crop_h + stride_h - 1, 0) // stride_h + 1
    cols = max(width - crop_w + stride_w - 1, 0) // stride_w + 1
    boxes = []
    for row in range(rows):
        for col in range(cols):
            y2, x2 = min(row * stride_h + crop_h, height), min(col * stride_w + crop_w, width)
            boxes.append((max(y2 - crop_h, 0), y2, max(x2 - crop_w, 0), x2))
    return boxes


def _image_arg(head: nn.Module, img: torch.Tensor) -> Dict[str, torch.Tensor]:
    """``{'img': img}`` for a head that declares ``needs_image``, else nothing (mmseg heads keep mmseg's call)."""
    return {'img': img} if getattr(head, 'needs_image', False) else {}


def _add_prefix(losses: Dict[str, torch.Tensor], prefix: str) -> Dict[str, torch.Tensor]:
    return {f'{prefix}.{name}': value for name, value in losses.items()}
