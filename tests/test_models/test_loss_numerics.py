"""Every loss option, and a deeply supervised head's loss dict, give the values pinned in a golden file.

The golden file ``tests/fixtures/loss_numerics.json`` was written by the loss code as it was before the loss
protocol (``BaseLoss``) was introduced, so a refactor of the losses or of the head's loss code that moves any
value (or gradient) fails here. Rewrite it only for an intended, reviewed change of numerics::

    python tests/test_models/test_loss_numerics.py --write
"""
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Tuple

import pytest
import torch

if __name__ == '__main__':  # run as a script: import the project and the test helpers as pytest does
    sys.path[:0] = [osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
                    osp.dirname(osp.dirname(osp.abspath(__file__)))]

from mmseg.models import build_head, build_loss  # noqa: E402
from test_models.model_cfgs import tiny_head  # noqa: E402

GOLDEN = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'fixtures', 'loss_numerics.json')
SHAPE = (2, 3, 4)  # N, H, W


def inputs(channels: int, seed: int, classes: int = 3) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Logits [N, channels, H, W], labels in 0..classes-1 with some 255, and per-pixel weights in (0, 1)."""
    gen = torch.Generator().manual_seed(seed)
    n, h, w = SHAPE
    logits = 2 * torch.randn(n, channels, h, w, generator=gen)
    labels = torch.randint(0, classes, (n, h, w), generator=gen)
    labels[torch.rand(n, h, w, generator=gen) < 0.2] = 255
    weight = torch.rand(n, h, w, generator=gen)
    return logits, labels, weight


# id: (loss config, channels of the logits, labels' classes, keyword arguments of the call: 'weight' means the
# per-pixel weights of inputs(); the ignored pixels are labelled with the case's ignore_index)
LOSS_CASES: Dict[str, Tuple[dict, int, int, dict]] = {
    'ce': (dict(type='CrossEntropyLoss'), 3, 3, {}),
    'ce_avg_non_ignore': (dict(type='CrossEntropyLoss', avg_non_ignore=True), 3, 3, {}),
    'ce_class_weight': (dict(type='CrossEntropyLoss', class_weight=[0.3, 1.0, 2.0], loss_weight=0.7), 3, 3, {}),
    'ce_class_weight_non_ignore': (dict(type='CrossEntropyLoss', class_weight=[0.3, 1.0, 2.0],
                                        avg_non_ignore=True), 3, 3, {}),
    'ce_none': (dict(type='CrossEntropyLoss', reduction='none'), 3, 3, {}),
    'ce_sum': (dict(type='CrossEntropyLoss', reduction='sum'), 3, 3, {}),
    'ce_weight': (dict(type='CrossEntropyLoss'), 3, 3, dict(weight='weight')),
    'ce_avg_factor': (dict(type='CrossEntropyLoss'), 3, 3, dict(avg_factor=5.0)),
    'ce_reduction_override': (dict(type='CrossEntropyLoss'), 3, 3, dict(reduction_override='sum')),
    'ce_ignore_index_1': (dict(type='CrossEntropyLoss', avg_non_ignore=True), 3, 3, dict(ignore_index=1)),
    'bce_binary': (dict(type='CrossEntropyLoss', use_sigmoid=True), 1, 2, {}),
    'bce_binary_non_ignore': (dict(type='CrossEntropyLoss', use_sigmoid=True, avg_non_ignore=True), 1, 2, {}),
    'bce_one_vs_all': (dict(type='CrossEntropyLoss', use_sigmoid=True), 3, 3, {}),
    'bce_one_vs_all_class_weight': (dict(type='CrossEntropyLoss', use_sigmoid=True, class_weight=[0.3, 1.0, 2.0],
                                         avg_non_ignore=True), 3, 3, {}),
    'bce_weight': (dict(type='CrossEntropyLoss', use_sigmoid=True), 1, 2, dict(weight='weight')),
    'bce_none': (dict(type='CrossEntropyLoss', use_sigmoid=True, reduction='none'), 1, 2, {}),
    'dice': (dict(type='DiceLoss'), 3, 3, {}),
    'dice_mmseg0x': (dict(type='DiceLoss', use_sigmoid=False, loss_name='loss_dice', loss_weight=3.0), 2, 2, {}),
    'dice_smooth_exponent': (dict(type='DiceLoss', smooth=0.5, exponent=3), 3, 3, {}),
    'dice_class_weight': (dict(type='DiceLoss', class_weight=[0.3, 1.0, 2.0]), 3, 3, {}),
    'dice_binary': (dict(type='DiceLoss'), 1, 2, {}),
    'dice_ignore_index_0': (dict(type='DiceLoss', ignore_index=0), 3, 3, {}),
    'dice_ignore_override': (dict(type='DiceLoss'), 3, 3, dict(ignore_index=2)),
    'dice_none': (dict(type='DiceLoss', reduction='none'), 3, 3, {}),
    'dice_sum': (dict(type='DiceLoss', reduction='sum'), 3, 3, {}),
    'dice_avg_factor': (dict(type='DiceLoss'), 3, 3, dict(avg_factor=3.0)),
    'focal': (dict(type='FocalLoss'), 3, 3, {}),
    'focal_softmax': (dict(type='FocalLoss', use_sigmoid=False), 3, 3, {}),
    'focal_binary': (dict(type='FocalLoss'), 1, 2, {}),
    'focal_gamma_alpha': (dict(type='FocalLoss', gamma=1.0, alpha=0.25, loss_weight=2.0), 3, 3, {}),
    'focal_class_weight': (dict(type='FocalLoss', class_weight=[0.3, 1.0, 2.0]), 3, 3, {}),
    'focal_softmax_class_weight': (dict(type='FocalLoss', use_sigmoid=False, class_weight=[0.3, 1.0, 2.0]),
                                   3, 3, {}),
    'focal_none': (dict(type='FocalLoss', reduction='none'), 3, 3, {}),
    'focal_softmax_none': (dict(type='FocalLoss', use_sigmoid=False, reduction='none'), 3, 3, {}),
    'focal_sum': (dict(type='FocalLoss', reduction='sum'), 3, 3, {}),
    'focal_weight': (dict(type='FocalLoss'), 3, 3, dict(weight='weight')),
    'focal_avg_factor': (dict(type='FocalLoss', use_sigmoid=False), 3, 3, dict(avg_factor=4.0)),
    # ids sort after the older ones: each case's seed is its index in the sorted ids
    'soft_cldice': (dict(type='SoftClDiceLoss'), 2, 2, {}),
    'soft_cldice_binary': (dict(type='SoftClDiceLoss', iterations=2, smooth=0.5, loss_weight=2.0), 1, 2, {}),
    'soft_cldice_three_classes': (dict(type='SoftClDiceLoss', iterations=1), 3, 3, {}),
    'soft_cldice_none': (dict(type='SoftClDiceLoss', reduction='none'), 2, 2, {}),
    'soft_cldice_weight': (dict(type='SoftClDiceLoss'), 2, 2, dict(weight='weight')),
    'soft_cldice_ignore_override': (dict(type='SoftClDiceLoss'), 2, 2, dict(ignore_index=0)),
}


def loss_values(case: str) -> Dict[str, List[float]]:
    """The loss of ``case`` (flattened) and a random projection of its gradient w.r.t. the logits."""
    cfg, channels, classes, kwargs = LOSS_CASES[case]
    seed = sorted(LOSS_CASES).index(case)
    logits, labels, weight = inputs(channels, seed, classes)
    labels[labels == 255] = kwargs.get('ignore_index', cfg.get('ignore_index', 255))
    logits.requires_grad_(True)
    kwargs = {k: weight if v == 'weight' else v for k, v in kwargs.items()}
    loss = build_loss(cfg)(logits, labels, **kwargs)
    projection = torch.rand(loss.shape, generator=torch.Generator().manual_seed(seed))
    (loss * projection).sum().backward()
    grad_projection = (logits.grad * torch.rand(logits.shape, generator=torch.Generator().manual_seed(seed + 1)))
    return dict(loss=loss.detach().flatten().tolist(), grad=[grad_projection.sum().item()])


HEAD_LOSSES = [dict(type='CrossEntropyLoss', loss_weight=1.0, avg_non_ignore=True),
               dict(type='DiceLoss', loss_weight=3.0), dict(type='FocalLoss', loss_weight=0.5)]
BINARY_LOSSES = [dict(type='CrossEntropyLoss', use_sigmoid=True), dict(type='DiceLoss', loss_weight=3.0),
                 dict(type='FocalLoss')]

# id: (UNet++ head overrides, channels of its outputs)
HEAD_CASES: Dict[str, Tuple[dict, int]] = {
    'equal_weights': (dict(loss_decode=HEAD_LOSSES), 2),  # the losses see the outputs stacked along the batch
    'unequal_weights': (dict(loss_decode=HEAD_LOSSES, ds_loss_weights=[0.1, 0.2, 0.3, 0.4]), 2),
    'binary': (dict(loss_decode=BINARY_LOSSES, out_channels=1, threshold=0.4), 1),
    'same_name_twice': (dict(loss_decode=[dict(type='CrossEntropyLoss'),
                                          dict(type='CrossEntropyLoss', loss_weight=0.5, use_sigmoid=True)]), 2),
    'with_cldice': (dict(loss_decode=HEAD_LOSSES[:2] + [dict(type='SoftClDiceLoss', iterations=2)]), 2),
}


def head_values(case: str) -> Dict[str, List[float]]:
    """The loss dict of a UNet++ head on four fixed outputs (4x upsampled to the labels inside ``losses``)."""
    overrides, channels = HEAD_CASES[case]
    head = build_head(tiny_head(**overrides))
    seed = 100 + sorted(HEAD_CASES).index(case)
    outputs = [inputs(channels, seed + k, 2)[0] for k in range(4)]
    labels = inputs(channels, seed, 2)[1].unsqueeze(1)
    return {name: [value.item()] for name, value in head.losses(outputs, labels).items()}


def all_values() -> Dict[str, Dict[str, Dict[str, List[float]]]]:
    return dict(losses={case: loss_values(case) for case in LOSS_CASES},
                heads={case: head_values(case) for case in HEAD_CASES})


def golden() -> dict:
    with open(GOLDEN) as f:
        return json.load(f)


def assert_pinned(values: Dict[str, List[float]], pinned: Dict[str, List[float]]) -> None:
    assert list(values) == list(pinned)
    for key, value in values.items():
        torch.testing.assert_close(torch.tensor(value, dtype=torch.float64),
                                   torch.tensor(pinned[key], dtype=torch.float64), rtol=2e-6, atol=1e-7, msg=key)


@pytest.mark.parametrize('case', sorted(LOSS_CASES))
def test_loss_values_and_gradients_are_the_pinned_ones(case):
    assert_pinned(loss_values(case), golden()['losses'][case])


@pytest.mark.parametrize('case', sorted(HEAD_CASES))
def test_head_loss_dict_is_the_pinned_one(case):
    assert_pinned(head_values(case), golden()['heads'][case])


def test_losses_keep_no_state_in_checkpoints():
    for cfg, *_ in LOSS_CASES.values():
        assert build_loss(cfg).state_dict() == {}, cfg


def write_golden(path: str = GOLDEN) -> None:
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(all_values(), f, indent=1, sort_keys=False)
        f.write('\n')
    os.replace(tmp, path)


if __name__ == '__main__':
    if sys.argv[1:] != ['--write']:
        sys.exit(f'usage: python {sys.argv[0]} --write   (rewrites {GOLDEN})')
    write_golden()
