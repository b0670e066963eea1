"""Each loss against values computed by hand (math module, not torch) on a few pixels."""
import math

import pytest
import torch

from mmseg.models import build_loss
from mmseg.models.losses import accuracy


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def approx(value):
    return pytest.approx(value, rel=1e-5)


def dense(rows):
    """Logits [1, C, 1, P] from per-pixel rows [[c0, c1, ...], ...]."""
    return torch.tensor(rows, dtype=torch.float32).t().reshape(1, len(rows[0]), 1, len(rows))


LABELS = torch.tensor([[[0, 1, 255]]])  # [1, 1, 3]: the last pixel is ignored
LOGITS = dense([[2.0, 0.0], [0.0, 1.0], [5.0, -5.0]])
CE_0, CE_1 = softplus(-2.0), softplus(-1.0)  # -log softmax at the true class of pixels 0 and 1


def test_cross_entropy_mean_over_all_or_non_ignored_pixels():
    mean_all = build_loss(dict(type='CrossEntropyLoss'))(LOGITS, LABELS)
    mean_valid = build_loss(dict(type='CrossEntropyLoss', avg_non_ignore=True))(LOGITS, LABELS)
    assert mean_all.item() == approx((CE_0 + CE_1) / 3)
    assert mean_valid.item() == approx((CE_0 + CE_1) / 2)


def test_cross_entropy_class_weight_and_loss_weight():
    loss = build_loss(dict(type='CrossEntropyLoss', class_weight=[1.0, 2.0], loss_weight=0.5, avg_non_ignore=True))
    assert loss(LOGITS, LABELS).item() == approx(0.5 * (CE_0 + 2 * CE_1) / 2)
    assert loss.loss_name == 'loss_ce'
    assert 'class_weight' not in loss.state_dict()  # not persisted: configs own it


def test_sigmoid_cross_entropy_binary_mode():
    logits = dense([[2.0], [-1.0], [0.5]])  # one logit: class 1
    loss = build_loss(dict(type='CrossEntropyLoss', use_sigmoid=True, avg_non_ignore=True))
    labels = torch.tensor([[[1, 0, 255]]])
    assert loss(logits, labels).item() == approx((softplus(-2.0) + softplus(-1.0)) / 2)


def test_sigmoid_cross_entropy_one_vs_all_classes():
    logits = dense([[2.0, -1.0], [0.5, 0.0]])
    loss = build_loss(dict(type='CrossEntropyLoss', use_sigmoid=True))
    expected = (softplus(-2.0) + softplus(-1.0) + softplus(0.5) + softplus(0.0)) / 4
    assert loss(logits, torch.tensor([[[0, 1]]])).item() == approx(expected)


def dice_term(p, t, smooth=1.0):
    numerator = 2 * sum(a * b for a, b in zip(p, t)) + smooth
    return 1 - numerator / (sum(a * a for a in p) + sum(b * b for b in t) + smooth)


def test_dice_softmax_averages_the_classes_and_skips_ignored_pixels():
    logits = dense([[math.log(0.2), math.log(0.8)], [math.log(0.7), math.log(0.3)], [0.0, 9.0]])
    loss = build_loss(dict(type='DiceLoss', loss_weight=3.0))
    expected = (dice_term([0.2, 0.7], [1, 0]) + dice_term([0.8, 0.3], [0, 1])) / 2
    assert loss(logits, LABELS).item() == approx(3 * expected)


def test_dice_binary_mode_scores_class_one_and_ignore_override():
    logits = dense([[math.log(0.8 / 0.2)], [math.log(0.3 / 0.7)], [4.0]])
    loss = build_loss(dict(type='DiceLoss', smooth=0.5))
    labels = torch.tensor([[[1, 0, 7]]])
    assert loss(logits, labels, ignore_index=7).item() == approx(dice_term([0.8, 0.3], [1, 0], 0.5))


def focal_positive(x, gamma=2.0, alpha=0.5):
    p = sigmoid(x)
    return -alpha * (1 - p) ** gamma * math.log(p)


def focal_negative(x, gamma=2.0, alpha=0.5):
    p = sigmoid(x)
    return -(1 - alpha) * p ** gamma * math.log(1 - p)


def test_sigmoid_focal_loss_averages_non_ignored_elements():
    logits = dense([[1.0, -0.5], [0.3, 2.0], [8.0, 8.0]])
    loss = build_loss(dict(type='FocalLoss', loss_weight=2.0))
    expected = (focal_positive(1.0) + focal_negative(-0.5) + focal_negative(0.3) + focal_positive(2.0)) / 4
    assert loss(logits, LABELS).item() == approx(2 * expected)


def test_sigmoid_focal_loss_binary_mode():
    logits = dense([[1.5], [-0.7]])
    loss = build_loss(dict(type='FocalLoss', gamma=1.0, alpha=0.25))
    expected = (focal_positive(1.5, 1.0, 0.25) + focal_negative(-0.7, 1.0, 0.25)) / 2
    assert loss(logits, torch.tensor([[[1, 0]]])).item() == approx(expected)


def test_softmax_focal_loss():
    logits = dense([[2.0, 0.0], [0.0, 1.0], [3.0, 3.0]])
    loss = build_loss(dict(type='FocalLoss', use_sigmoid=False, alpha=1.0))
    p0, p1 = sigmoid(2.0), sigmoid(1.0)  # softmax of two classes = sigmoid of the difference
    expected = (-(1 - p0) ** 2 * math.log(p0) - (1 - p1) ** 2 * math.log(p1)) / 2
    assert loss(logits, LABELS).item() == approx(expected)


@pytest.mark.parametrize('cfg', [dict(type='CrossEntropyLoss'), dict(type='DiceLoss'), dict(type='FocalLoss'),
                                 dict(type='SoftClDiceLoss')])
def test_losses_give_gradients_and_reject_bad_reduction(cfg):
    logits = torch.randn(2, 2, 5, 5, requires_grad=True)
    build_loss(cfg)(logits, torch.randint(0, 2, (2, 5, 5))).backward()
    assert logits.grad is not None and torch.isfinite(logits.grad).all()
    with pytest.raises(ValueError, match='reduction'):
        build_loss(dict(cfg, reduction='avg'))


def test_accuracy_counts_non_ignored_pixels():
    logits = dense([[2.0, 0.0], [3.0, 1.0], [0.0, 1.0], [0.0, 1.0]])
    labels = torch.tensor([[[0, 1, 1, 255]]])
    assert accuracy(logits, labels, ignore_index=255).item() == approx(200 / 3)
    top1, top2 = accuracy(logits, labels, topk=(1, 2), ignore_index=255)
    assert (top1.item(), top2.item()) == (approx(200 / 3), approx(100.0))
    binary = dense([[2.0], [-1.0], [0.1]])  # P(class 1) = 0.88, 0.27, 0.52
    assert accuracy(binary, torch.tensor([[[1, 0, 0]]]), thresh=0.6).item() == approx(100.0)
    assert accuracy(binary, torch.tensor([[[1, 0, 0]]])).item() == approx(200 / 3)


def test_dice_accepts_mmseg_0x_use_sigmoid_argument():
    logits = torch.randn(2, 2, 5, 5)
    labels = torch.randint(0, 2, (2, 5, 5))
    plain = build_loss(dict(type='DiceLoss', loss_weight=3.0))
    mmseg_style = build_loss(dict(type='DiceLoss', use_sigmoid=False, loss_name='loss_dice', loss_weight=3.0))
    assert mmseg_style(logits, labels).item() == approx(plain(logits, labels).item())


# ------------------------------------------------------------------------------------------------ soft-clDice

def vessel_tree(size: int = 32) -> torch.Tensor:
    """Labels [1, size, size]: a 4 px wide horizontal trunk and a 2 px wide vertical branch."""
    labels = torch.zeros(1, size, size, dtype=torch.long)
    labels[:, 10:14, :] = 1
    labels[:, 14:, 20:22] = 1
    return labels


def confident(labels: torch.Tensor, margin: float = 4.0) -> torch.Tensor:
    """Two-class logits that predict ``labels`` with probability sigmoid(2 * margin)."""
    vessel = (labels == 1).float() * 2 * margin - margin
    return torch.stack([-vessel, vessel], dim=1)


def test_soft_skeleton_thins_a_bar_to_its_centre_and_keeps_a_thin_line():
    from mmseg.models.losses import soft_skeleton
    labels = vessel_tree()
    skeleton = soft_skeleton((labels == 1).float().unsqueeze(1), iterations=10)[0, 0]
    assert skeleton[10:14, 5].tolist() == [0, 1, 1, 0] and skeleton[:10].sum() == 0  # 4 px trunk: its middle 2
    assert (skeleton[16:, 20:22] == 1).all()  # a 2 px branch is its own skeleton


def test_soft_cldice_is_zero_for_a_perfect_prediction_and_larger_without_a_branch():
    labels = vessel_tree()
    loss = build_loss(dict(type='SoftClDiceLoss'))
    assert loss(confident(labels, margin=30.0), labels).item() == pytest.approx(0.0, abs=1e-6)
    without_branch = labels.clone()
    without_branch[:, 14:, :] = 0
    logits = confident(without_branch).requires_grad_(True)
    missing = loss(logits, labels)
    assert missing.item() > loss(confident(labels), labels).item() + 0.05
    missing.backward()
    assert (logits.grad[0, 1, 16:, 20:22] < 0).all()  # descent raises the missing branch's vessel logit


def test_soft_cldice_does_not_count_ignored_pixels():
    labels = vessel_tree()
    loss = build_loss(dict(type='SoftClDiceLoss', loss_weight=2.0))
    ignored = labels.clone()
    ignored[:, :, 24:] = 255
    logits = torch.randn(1, 2, 32, 32, requires_grad=True)
    value = loss(logits, ignored)
    value.backward()
    assert (logits.grad[..., 24:] == 0).all()
    other_logits = logits.detach().clone()
    other_logits[..., 24:] = torch.randn(1, 2, 32, 8)
    assert loss(other_logits, ignored).item() == approx(value.item())
    assert loss(logits, labels).item() != approx(value.item())  # the ignored pixels did count before
    half = build_loss(dict(type='SoftClDiceLoss'))
    assert 2 * half(logits, ignored).item() == approx(value.item())  # loss_weight scales the loss


@pytest.mark.parametrize('options, message', [
    (dict(iterations=0), 'iterations must be an int >= 1'), (dict(iterations=2.5), 'iterations must be an int'),
    (dict(iterations=True), 'iterations must be an int'), (dict(smooth=0), 'smooth must be a number > 0')])
def test_soft_cldice_options_are_checked(options, message):
    with pytest.raises(ValueError, match=message):
        build_loss(dict(type='SoftClDiceLoss', **options))


# ------------------------------------------------------------------------------------------- the loss protocol

LOSS_CFGS = [dict(type='CrossEntropyLoss'), dict(type='CrossEntropyLoss', use_sigmoid=True), dict(type='DiceLoss'),
             dict(type='FocalLoss'), dict(type='FocalLoss', use_sigmoid=False), dict(type='SoftClDiceLoss')]


@pytest.mark.parametrize('cfg', LOSS_CFGS)
def test_builtin_losses_declare_the_loss_protocol(cfg):
    import inspect

    from mmseg.models.losses import BaseLoss
    loss = build_loss(cfg)
    assert isinstance(loss, BaseLoss)
    assert isinstance(loss.loss_name, str) and loss.loss_name.startswith('loss_')
    assert loss.use_sigmoid is cfg.get('use_sigmoid', cfg['type'] == 'FocalLoss')
    assert loss.reduction == 'mean' and loss.loss_weight == 1.0 and loss.mean_over_batch is True
    assert list(inspect.signature(loss.forward).parameters) == ['pred', 'target', 'weight', 'avg_factor',
                                                                 'reduction_override', 'ignore_index']


@pytest.mark.parametrize('cfg', LOSS_CFGS)
def test_every_loss_takes_per_pixel_weights_and_a_zero_weight_ignores_the_pixel(cfg):
    channels = 1 if cfg.get('use_sigmoid') else 2
    logits = torch.randn(2, channels, 4, 5)
    labels = torch.randint(0, 2, (2, 4, 5))
    weight = (torch.rand(2, 4, 5) > 0.3).float()
    loss = build_loss(dict(cfg, reduction='sum'))
    ignored = torch.where(weight.bool(), labels, 255)
    assert loss(logits, labels, weight).item() == approx(loss(logits, ignored).item())


def test_dice_weights_scale_each_pixels_terms():
    # binary mode, two pixels of class 1 with P = 0.8 and 0.3; weight 2 on the first counts it twice
    logits = dense([[math.log(0.8 / 0.2)], [math.log(0.3 / 0.7)]])
    loss = build_loss(dict(type='DiceLoss'))
    weighted = loss(logits, torch.tensor([[[1, 1]]]), torch.tensor([[[2.0, 1.0]]]))
    assert weighted.item() == approx(dice_term([0.8, 0.8, 0.3], [1, 1, 1]))


def test_a_new_loss_states_the_protocol_or_does_not_build():
    from mmseg.models.losses import BaseLoss

    class NoForward(BaseLoss):
        pass

    with pytest.raises(TypeError, match='forward'):
        NoForward(loss_name='loss_x', use_sigmoid=False)

    class Plain(BaseLoss):
        def forward(self, pred, target, weight=None, avg_factor=None, reduction_override=None, ignore_index=None):
            return pred.mean()

    assert Plain(loss_name='x', use_sigmoid=True).use_sigmoid is True
    with pytest.raises(TypeError, match='loss_name'):
        Plain(loss_name=None, use_sigmoid=False)
    with pytest.raises(ValueError, match='acc_seg'):
        Plain(loss_name='acc_seg', use_sigmoid=False)
    with pytest.raises(TypeError, match='use_sigmoid'):
        build_loss(dict(type='CrossEntropyLoss', use_sigmoid='yes'))
