import pytest
import torch
import torch.nn.functional as F

from mmseg.models import build_backbone, build_head

from .model_cfgs import tiny_head


def pyramid(height: int, width: int, rows: int = 5, batch: int = 2):
    """(ResNet-18 levels 1/2 .. 1/2^rows, image) of a random batch: the head's two inputs."""
    img = torch.randn(batch, 3, height, width)
    backbone = build_backbone(dict(type='ResNet', depth=18, out_indices=tuple(range(rows)))).eval()
    with torch.no_grad():
        return backbone(img), img


@pytest.mark.parametrize('height, width', [(64, 64), (45, 37)])
def test_every_output_is_at_full_input_resolution(height, width):
    head = build_head(tiny_head())
    outputs = head(*pyramid(height, width))
    assert len(outputs) == 4 == len(head.conv_segs)
    assert all(tuple(out.shape) == (2, 2, height, width) for out in outputs)


def test_grid_has_the_nested_nodes_of_five_rows():
    head = build_head(tiny_head())
    assert sorted(head.nodes) == sorted(f'{i}_{j}' for j in range(1, 5) for i in range(5 - j))
    # X^{0,4} reads X^{0,0..3} (4 x 4 channels) and Up(X^{1,3}) (8 channels)
    assert head.nodes['0_4'][0][0].in_channels == 4 * 4 + 8


@pytest.mark.parametrize('level', [1, 2, 3, 4])
def test_fast_prune_level_equals_that_output_of_the_full_grid(level):
    head = build_head(tiny_head(test_mode='fast', prune_level=level)).eval()
    feats = pyramid(40, 36)
    with torch.no_grad():
        full = head(*feats)[level - 1]
        pruned = head.forward_test(feats[0], img_metas=[], img=feats[1])
    torch.testing.assert_close(pruned, full)


def test_pruned_grid_runs_fewer_nodes():
    head = build_head(tiny_head()).eval()
    calls = []
    for name, node in head.nodes.items():
        node.register_forward_hook(lambda *_, name=name: calls.append(name))
    with torch.no_grad():
        head.forward_pruned(*pyramid(32, 32), 2)
    assert sorted(calls) == ['0_1', '0_2', '1_1']


def test_accurate_mode_averages_the_output_probabilities():
    head = build_head(tiny_head()).eval()
    feats = pyramid(32, 40)
    with torch.no_grad():
        mean_prob = torch.stack([F.softmax(out, dim=1) for out in head(*feats)]).mean(0)
        logits = head.forward_test(feats[0], img_metas=[], img=feats[1])
    torch.testing.assert_close(F.softmax(logits, dim=1), mean_prob)


def test_binary_mode_has_one_sigmoid_output():
    losses = [dict(type='CrossEntropyLoss', use_sigmoid=True), dict(type='DiceLoss', loss_weight=3.0)]
    head = build_head(tiny_head(out_channels=1, threshold=0.4, loss_decode=losses)).eval()
    feats = pyramid(32, 32)
    with torch.no_grad():
        outputs = head(*feats)
        logits = head.forward_test(feats[0], img_metas=[], img=feats[1])
    assert all(out.shape[1] == 1 for out in outputs) and head.binary and head.threshold == 0.4
    torch.testing.assert_close(torch.sigmoid(logits), torch.stack([o.sigmoid() for o in outputs]).mean(0))
    loss = head.losses(outputs, torch.randint(0, 2, (2, 1, 32, 32)))
    assert set(loss) == {'loss_ce', 'loss_dice', 'acc_seg'}


def test_binary_mode_refuses_softmax_losses():
    with pytest.raises(ValueError, match='use_sigmoid'):
        build_head(tiny_head(out_channels=1))


@pytest.mark.parametrize('weights', [[0.1, 0.2, 0.3, 0.4], [0.25] * 4])  # equal weights: one stacked call
def test_losses_are_the_weighted_sum_over_outputs(weights):
    loss_cfgs = [dict(type='CrossEntropyLoss', avg_non_ignore=True), dict(type='DiceLoss', loss_weight=3.0)]
    head = build_head(tiny_head(ds_loss_weights=weights, loss_decode=loss_cfgs))
    outputs = [torch.randn(2, 2, 16, 16) for _ in range(4)]
    label = torch.randint(0, 2, (2, 1, 16, 16))
    label[0, 0, :4] = 255
    losses = head.losses(outputs, label)
    ce, dice = head.loss_decode
    expected_ce = sum(w * ce(o, label[:, 0]) for w, o in zip(weights, outputs))
    expected_dice = sum(w * dice(o, label[:, 0]) for w, o in zip(weights, outputs))
    torch.testing.assert_close(losses['loss_ce'], expected_ce)
    torch.testing.assert_close(losses['loss_dice'], expected_dice)
    valid = label[:, 0] != 255
    expected_acc = (outputs[-1].argmax(1) == label[:, 0])[valid].float().mean() * 100
    torch.testing.assert_close(losses['acc_seg'], expected_acc)


def test_default_output_weights_are_equal_and_sum_to_one():
    assert build_head(tiny_head()).output_weights == (0.25,) * 4


def test_without_deep_supervision_only_the_last_output_exists():
    head = build_head(tiny_head(deep_supervision=False))
    outputs = head(*pyramid(32, 32))
    assert len(outputs) == 1 == len(head.conv_segs)
    with pytest.raises(ValueError, match='prune_level'):
        build_head(tiny_head(deep_supervision=False, test_mode='fast', prune_level=2))


def test_a_prune_level_without_fast_test_mode_is_an_error():
    with pytest.raises(ValueError, match=r"UNetPlusPlusHead: prune_level=2 has no effect: test_mode is 'accurate'.*"
                                         r"set test_mode='fast'"):
        build_head(tiny_head(prune_level=2))


def test_three_row_grid_on_fewer_levels():
    head = build_head(tiny_head(rows=3))
    outputs = head(*pyramid(30, 34, rows=3))
    assert len(outputs) == 2 and all(o.shape[2:] == (30, 34) for o in outputs)


@pytest.mark.parametrize('overrides, message', [
    (dict(channels=[4, 8, 8, 8]), 'in_channels'),
    (dict(ds_loss_weights=[1.0, 1.0]), 'ds_loss_weights'),
    (dict(test_mode='quick'), 'test_mode'),
    (dict(prune_level=5), 'prune_level'),
    (dict(out_channels=3), 'out_channels'),
    (dict(act_cfg=dict(type='GELU')), 'act_cfg'),
    (dict(in_channels=[3, 64, 64, 128, 256, 512], in_index=[1, 2, 3, 4, 5, 0]), 'img_channels=3'),
])
def test_inconsistent_configs_are_reported(overrides, message):
    with pytest.raises(ValueError, match=message):
        build_head(tiny_head(**overrides))
