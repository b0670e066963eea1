"""Pixel accuracy of logits against labels, as a tensor (no host sync)."""
from typing import Optional, Sequence, Tuple, Union

import torch


def accuracy(pred: torch.Tensor, target: torch.Tensor, topk: Union[int, Sequence[int]] = 1,
             thresh: Optional[float] = None, ignore_index: Optional[int] = None
             ) -> Union[torch.Tensor, Tuple[torch.Tensor, ...]]:
    """Percentage of non-ignored pixels whose label is among the top-k classes of ``pred``.

    Args:
        pred: logits [N, C, ...]; with C = 1 (binary mode) a pixel is class 1 when sigmoid(pred) > ``thresh``
            (0.5 by default).
        target: labels [N, ...].
        topk: k, or several k (then a tuple of accuracies is returned). Binary mode supports k = 1 only.
        thresh: C > 1: a prediction counts only if its score is above ``thresh`` (as in mmseg);
            C = 1: the probability threshold of class 1.
        ignore_index: label excluded from the count.
    """
    ks = (topk,) if isinstance(topk, int) else tuple(topk)
    valid = torch.ones_like(target, dtype=torch.bool) if ignore_index is None else target != ignore_index
    num_valid = valid.sum().clamp_min(1)
    if pred.size(1) == 1:
        if ks != (1,):
            raise ValueError(f'accuracy: binary predictions (C=1) support topk=1 only, got {topk}')
        hits = [(torch.sigmoid(pred[:, 0].float()) > (0.5 if thresh is None else thresh)) == (target == 1)]
    else:
        scores, labels = pred.topk(max(ks), dim=1)
        correct = labels == target.unsqueeze(1)
        if thresh is not None:
            correct &= scores > thresh
        hits = [correct[:, :k].any(dim=1) for k in ks]
    accs = tuple((hit & valid).sum() * (100.0 / num_valid) for hit in hits)
    return accs[0] if isinstance(topk, int) else accs
