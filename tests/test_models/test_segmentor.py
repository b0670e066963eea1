import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmseg.core import SegResult
from mmseg.models import EncoderDecoder, build_segmentor
from mmseg.models.segmentors.encoder_decoder import _window_boxes

from .model_cfgs import metas, tiny_head, tiny_segmentor

CONFIG = 'configs/_base_/models/unet++_r34.py'


def train_batch(batch: int = 2, size: int = 32) -> dict:
    return dict(img=torch.randn(batch, 3, size, size), img_metas=metas(size, size, batch),
                gt_semantic_seg=torch.randint(0, 2, (batch, 1, size, size)))


def test_config_builds_the_documented_model():
    from mmcv import Config
    cfg = Config.fromfile(CONFIG)
    model = build_segmentor(cfg.model)
    assert isinstance(model, EncoderDecoder) and model.backbone.depth == 34
    assert len(model.decode_head.conv_segs) == 4 and model.num_classes == 2
    assert [type(loss).__name__ for loss in model.decode_head.loss_decode] == ['CrossEntropyLoss', 'DiceLoss']
    assert model.test_cfg['mode'] == 'whole' and tuple(model.test_cfg['crop_size']) == (64, 64)
    assert tuple(model.test_cfg['stride']) == (42, 42)


def test_gradients_reach_every_parameter_of_the_config_model():
    from mmcv import Config
    model = build_segmentor(Config.fromfile(CONFIG).model).train()
    outputs = model.train_step(train_batch(batch=2, size=64))
    outputs['loss'].backward()
    without = [name for name, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert without == []


def test_train_step_returns_runner_outputs():
    model = build_segmentor(tiny_segmentor())
    outputs = model.train_step(train_batch(batch=3))
    log_vars = outputs['log_vars']
    assert list(log_vars) == ['decode.loss_ce', 'decode.loss_dice', 'decode.acc_seg', 'loss']
    assert all(isinstance(v, torch.Tensor) and v.dim() == 0 and not v.requires_grad for v in log_vars.values())
    assert outputs['num_samples'] == 3
    assert outputs['loss'].requires_grad
    torch.testing.assert_close(log_vars['loss'], log_vars['decode.loss_ce'] + log_vars['decode.loss_dice'])
    torch.testing.assert_close(outputs['loss'].detach(), log_vars['loss'])


def test_val_step_suffixes_the_log_keys():
    model = build_segmentor(tiny_segmentor())
    assert list(model.val_step(train_batch())['log_vars'])[-1] == 'loss_val'


def test_auxiliary_heads_add_prefixed_losses():
    aux = dict(type='FCNHead', in_channels=128, in_index=2, channels=8, num_convs=1, num_classes=2,
               loss_decode=dict(type='CrossEntropyLoss', loss_weight=0.4))
    single = build_segmentor(tiny_segmentor(auxiliary_head=aux))
    assert {'aux.loss_ce', 'aux.acc_seg'} <= set(single.forward_train(**train_batch()))
    several = build_segmentor(tiny_segmentor(auxiliary_head=[aux, dict(aux, in_index=3, in_channels=256)]))
    assert {'aux_0.loss_ce', 'aux_1.loss_ce'} <= set(several.forward_train(**train_batch()))


def test_whole_inference_at_drive_size_returns_label_maps_at_the_original_size():
    model = build_segmentor(tiny_segmentor()).eval()
    with torch.no_grad():
        preds = model(img=[torch.randn(1, 3, 584, 565)], img_metas=[metas(584, 565)], return_loss=False)
    assert len(preds) == 1 and isinstance(preds[0], SegResult) and preds[0].prob is None
    assert preds[0].label_map.shape == (584, 565) and preds[0].label_map.dtype == np.int64


def test_rescale_drops_padding_and_resizes_to_ori_shape():
    model = build_segmentor(tiny_segmentor()).eval()
    meta = [dict(ori_shape=(50, 60, 3), img_shape=(30, 36, 3), pad_shape=(32, 40, 3), flip=False)]
    img = torch.randn(1, 3, 32, 40)
    with torch.no_grad():
        (pred,) = model.simple_test(img, meta)
        logit = model.encode_decode(img, meta)[:, :, :30, :36]
        expected = F.interpolate(logit, size=(50, 60), mode='bilinear', align_corners=False).argmax(1)[0]
    assert pred.label_map.shape == (50, 60)
    np.testing.assert_array_equal(pred.label_map, expected.numpy())


def test_return_prob_gives_the_vessel_probability():
    model = build_segmentor(tiny_segmentor()).eval()
    img = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        results = model.simple_test(img, metas(32, 32, 2), return_prob=True)
        prob = F.softmax(model.encode_decode(img, metas(32, 32, 2)), dim=1)[:, 1]
    assert len(results) == 2
    assert results[0].label_map.dtype == np.uint8 and results[0].prob.dtype == np.float16
    np.testing.assert_allclose(results[1].prob, prob[1].numpy(), atol=1e-3)
    np.testing.assert_array_equal(results[1].label_map, (prob[1] > 0.5).numpy())


def test_window_boxes_cover_the_image_with_equal_windows():
    boxes = _window_boxes(100, 90, crop_size=(32, 32), stride=(20, 20))
    assert {(y2 - y1, x2 - x1) for y1, y2, x1, x2 in boxes} == {(32, 32)}
    covered = np.zeros((100, 90), bool)
    for y1, y2, x1, x2 in boxes:
        covered[y1:y2, x1:x2] = True
    assert covered.all() and max(b[1] for b in boxes) == 100 and max(b[3] for b in boxes) == 90
    assert _window_boxes(20, 90, (32, 32), (20, 20))[0] == (0, 20, 0, 32)  # image lower than a window


def one_window_at_a_time(model, img):
    """Reference slide inference: every window alone, logits averaged where windows overlap."""
    height, width = img.shape[2:]
    total, count = torch.zeros(1, 2, height, width), torch.zeros(1, 1, height, width)
    for y1, y2, x1, x2 in _window_boxes(height, width, (32, 32), (20, 20)):
        total[:, :, y1:y2, x1:x2] += model.encode_decode(img[:, :, y1:y2, x1:x2], None)
        count[:, :, y1:y2, x1:x2] += 1
    return total / count


@pytest.mark.parametrize('window_batch', [1, 5, 64])
def test_batched_slide_equals_one_window_at_a_time(window_batch):
    test_cfg = dict(mode='slide', crop_size=(32, 32), stride=(20, 20), window_batch=window_batch)
    model = build_segmentor(tiny_segmentor(test_cfg=test_cfg)).eval()
    img = torch.randn(1, 3, 75, 61)
    with torch.no_grad():
        logits = model.slide_inference(img, metas(75, 61), rescale=True)
        expected = one_window_at_a_time(model, img)
    torch.testing.assert_close(logits, expected, rtol=1e-5, atol=1e-5)


def test_flip_and_multi_scale_test_average_the_views():
    model = build_segmentor(tiny_segmentor()).eval()
    img = torch.randn(1, 3, 32, 48)
    flipped_meta = metas(32, 48, flip=True, flip_direction='horizontal')
    with torch.no_grad():
        plain = F.softmax(model.encode_decode(img, None), dim=1)
        unflipped = F.softmax(model.encode_decode(img.flip(3), None), dim=1).flip(3)
        torch.testing.assert_close(model.inference(img.flip(3), flipped_meta), unflipped)
        big = F.interpolate(img, size=(48, 72), mode='bilinear', align_corners=False)
        big_meta = [dict(ori_shape=(32, 48, 3), img_shape=(48, 72, 3), pad_shape=(48, 72, 3), flip=False)]
        rescaled = F.softmax(F.interpolate(model.encode_decode(big, None), size=(32, 48), mode='bilinear',
                                           align_corners=False), dim=1)
        results = model(img=[img, img.flip(3), big], img_metas=[metas(32, 48), flipped_meta, big_meta],
                        return_loss=False, return_prob=True)
    expected = (plain + unflipped + rescaled) / 3
    np.testing.assert_allclose(results[0].prob, expected[0, 1].numpy(), atol=1e-3)
    np.testing.assert_array_equal(results[0].label_map, expected[0].argmax(0).numpy())


@pytest.mark.parametrize('threshold, expected', [(0.0, 1), (1.0, 0)])
def test_binary_mode_thresholds_the_vessel_probability(threshold, expected):
    losses = [dict(type='CrossEntropyLoss', use_sigmoid=True), dict(type='DiceLoss')]
    head = tiny_head(out_channels=1, threshold=threshold, loss_decode=losses)
    model = build_segmentor(tiny_segmentor(head=head))
    assert 'decode.loss_ce' in model.forward_train(**train_batch())
    model.eval()
    with torch.no_grad():
        (result,) = model.simple_test(torch.randn(1, 3, 32, 32), metas(32, 32), return_prob=True)
    assert (result.label_map == expected).all() and 0 <= result.prob.min() <= result.prob.max() <= 1


def test_fast_test_mode_predicts_with_the_pruned_output():
    model = build_segmentor(tiny_segmentor(head=tiny_head(test_mode='fast', prune_level=2))).eval()
    img = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(model.encode_decode(img, None), model.decode_head(model.extract_feat(img), img)[1])


def test_build_errors_name_the_problem():
    with pytest.raises(ValueError, match='test_cfg'):
        build_segmentor(tiny_segmentor(), test_cfg=dict(mode='whole'))
    with pytest.raises(ValueError, match='crop_size'):
        build_segmentor(tiny_segmentor(test_cfg=dict(mode='slide', stride=(8, 8))))
    with pytest.raises(KeyError, match='did you mean'):
        build_segmentor(dict(tiny_segmentor(), type='EncoderDecoderr'))


def test_feature_list_is_the_backbone_outputs_only():
    model = build_segmentor(tiny_segmentor()).eval()
    img = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        feats = model.extract_feat(img)
        levels = model.backbone(img)
    assert len(feats) == 5 and all(torch.equal(a, b) for a, b in zip(feats, levels))
    assert model.decode_head.needs_image and not build_segmentor(unet_fcn_segmentor()).decode_head.needs_image


def unet_fcn_segmentor(**overrides) -> dict:
    """A narrow UNet-S5-D16 with mmseg's FCN decode (full resolution) and auxiliary (1/2) heads."""
    head = dict(type='FCNHead', in_channels=4, in_index=4, channels=4, num_convs=1, concat_input=False,
                num_classes=2)
    cfg = dict(type='EncoderDecoder', backbone=dict(type='UNet', base_channels=4), decode_head=head,
               auxiliary_head=dict(head, in_channels=8, in_index=3, loss_decode=dict(type='CrossEntropyLoss',
                                                                                     loss_weight=0.4)),
               test_cfg=dict(mode='slide', crop_size=32, stride=21))
    cfg.update(overrides)
    return cfg


def test_unet_with_fcn_heads_trains_and_slides_mmseg_int_windows():
    model = build_segmentor(unet_fcn_segmentor())
    assert model.test_cfg['crop_size'] == (32, 32) and model.test_cfg['stride'] == (21, 21)
    calls = []
    original = model.auxiliary_head.forward_train
    model.auxiliary_head.forward_train = lambda *args, **kwargs: calls.append(kwargs) or original(*args, **kwargs)
    log_vars = model.train_step(train_batch(batch=2, size=32))['log_vars']
    assert {'decode.loss_ce', 'aux.loss_ce', 'aux.acc_seg'} <= set(log_vars) and calls == [{}]  # mmseg's call
    model.eval()
    with torch.no_grad():
        (pred,) = model.simple_test(torch.randn(1, 3, 48, 80), metas(48, 80))
    assert pred.label_map.shape == (48, 80)


@pytest.mark.parametrize('overrides, message', [
    (dict(decode_head=dict(type='FCNHead', in_channels=8, in_index=4, channels=4, num_classes=2)),
     r'decode_head: in_channels=8 for in_index 4, but backbone UNet gives 4 channels at out index 4'),
    (dict(decode_head=dict(type='FCNHead', in_channels=4, in_index=5, channels=4, num_classes=2)),
     'in_index 5 is out of range'),
])
def test_head_channels_are_checked_against_the_backbone(overrides, message):
    with pytest.raises(ValueError, match=message):
        build_segmentor(unet_fcn_segmentor(**overrides))


def test_unetpp_head_channels_are_checked_per_in_index():
    with pytest.raises(ValueError, match=r'in_channels\[2\]=64 for in_index 2.*gives 128 channels'):
        build_segmentor(tiny_segmentor(head=tiny_head(in_channels=[64, 64, 64, 256, 512])))


@pytest.mark.parametrize('cfg_name, cfg, suggestion', [
    ('test_cfg', dict(mode='slide', crop_size=32, stride=21, windw_batch=4), 'window_batch'),
    ('test_cfg', dict(mode='whole', prune_levl=2), 'prune_level'),
    ('train_cfg', dict(cuda_grpah=True), 'cuda_graph'),
])
def test_unknown_cfg_keys_are_errors_with_a_suggestion(cfg_name, cfg, suggestion):
    with pytest.raises(KeyError, match=f"did you mean '{suggestion}'"):
        build_segmentor(tiny_segmentor(**{cfg_name: cfg}))


def test_compile_is_a_known_key_of_both_cfgs():
    model = build_segmentor(tiny_segmentor(train_cfg=dict(compile=False), test_cfg=dict(compile=False)))
    assert model.train_cfg == dict(compile=False)


def test_test_cfg_test_mode_and_prune_level_override_the_head():
    model = build_segmentor(tiny_segmentor(test_cfg=dict(mode='whole', test_mode='fast', prune_level=2))).eval()
    assert model.decode_head.test_mode == 'accurate'  # the head's own argument is not the one used
    img = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        expected = model.decode_head.forward_pruned(model.extract_feat(img), img, 2)
        torch.testing.assert_close(model.encode_decode(img, None), expected)
    with pytest.raises(ValueError, match=r'test_cfg.*prune_level must be 1..4'):
        build_segmentor(tiny_segmentor(test_cfg=dict(test_mode='fast', prune_level=5)))
    with pytest.raises(ValueError, match='FCNHead has one output'):
        build_segmentor(unet_fcn_segmentor(test_cfg=dict(mode='whole', test_mode='fast')))


@pytest.mark.parametrize('head, test_cfg', [
    (tiny_head(), dict(mode='whole', prune_level=2)),  # the head's test_mode: 'accurate'
    (tiny_head(test_mode='fast'), dict(mode='whole', test_mode='accurate', prune_level=2)),
])
def test_a_prune_level_without_fast_test_mode_is_an_error_when_built(head, test_cfg):
    with pytest.raises(ValueError, match=r"model\.test_cfg\.prune_level=2 has no effect: test_mode is 'accurate'.*"
                                         r"set model\.test_cfg\.test_mode='fast'"):
        build_segmentor(tiny_segmentor(head=head, test_cfg=test_cfg))


def test_a_prune_level_with_fast_test_mode_from_the_head_or_test_cfg_builds():
    build_segmentor(tiny_segmentor(head=tiny_head(test_mode='fast'), test_cfg=dict(mode='whole', prune_level=2)))
    # the head's own fast setting stays a default: test_cfg may ask for 'accurate' instead
    build_segmentor(tiny_segmentor(head=tiny_head(test_mode='fast', prune_level=2),
                                   test_cfg=dict(mode='whole', test_mode='accurate')))


def test_image_first_in_channels_still_build_the_same_model_with_a_warning():
    new = build_segmentor(tiny_segmentor())
    old_head = tiny_head(in_channels=[3, 64, 64, 128, 256, 512], in_index=[0, 1, 2, 3, 4, 5])
    del old_head['img_channels']
    with pytest.warns(FutureWarning, match=r'in_channels=\[64, 64, 128, 256, 512\], in_index=\[0, 1, 2, 3, 4\]'):
        old = build_segmentor(tiny_segmentor(head=old_head))
    assert list(old.state_dict()) == list(new.state_dict())
    old.load_state_dict(new.state_dict())
    img = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(old.eval().encode_decode(img, None), new.eval().encode_decode(img, None))


# ------------------------------------------------------------------ which entries of the loss dict are losses

def test_total_loss_sums_the_declared_losses_and_only_logs_the_rest():
    aux = dict(type='FCNHead', in_channels=128, in_index=2, channels=8, num_convs=1, num_classes=2,
               loss_decode=dict(type='DiceLoss', loss_name='dice'))  # a declared loss without 'loss' in its name
    model = build_segmentor(tiny_segmentor(auxiliary_head=aux))
    assert model.loss_keys() == {'decode.loss_ce', 'decode.loss_dice', 'aux.dice'}
    log_vars = model.train_step(train_batch())['log_vars']
    assert list(log_vars) == ['decode.loss_ce', 'decode.loss_dice', 'decode.acc_seg', 'aux.dice', 'aux.acc_seg',
                              'loss']
    expected = log_vars['decode.loss_ce'] + log_vars['decode.loss_dice'] + log_vars['aux.dice']
    torch.testing.assert_close(log_vars['loss'], expected)  # acc_seg logged, not summed


def test_a_head_declares_the_losses_it_adds():
    from mmseg.models.decode_heads import FCNHead

    class EdgeHead(FCNHead):
        """Adds a term of its own ('edge') to its loss_decode's and declares it."""

        @property
        def loss_names(self):
            return super().loss_names + ('edge',)

        def losses(self, seg_logits, seg_label):
            return dict(super().losses(seg_logits, seg_label), edge=seg_logits.abs().mean())

    head = dict(type=EdgeHead, in_channels=4, in_index=4, channels=4, num_convs=1, concat_input=False, num_classes=2)
    model = build_segmentor(unet_fcn_segmentor(decode_head=head, auxiliary_head=None))
    log_vars = model.train_step(train_batch())['log_vars']
    torch.testing.assert_close(log_vars['loss'], log_vars['decode.loss_ce'] + log_vars['decode.edge'])


def test_an_undeclared_entry_named_like_a_loss_is_an_error_not_silently_dropped():
    model = build_segmentor(tiny_segmentor())
    original = model.decode_head.losses
    model.decode_head.losses = lambda *args: dict(original(*args), loss_extra=torch.tensor(5.0))
    with pytest.raises(ValueError, match=r"'decode.loss_extra'.*not declared.*loss_names"):
        model.train_step(train_batch())


USER_LOSSES = '''
import torch.nn.functional as F
from torch import nn

from mmseg.models.builder import LOSSES


@LOSSES.register_module()
class UserCELoss(nn.Module):
    """A loss as mmseg 0.x users write it: an nn.Module, a loss_name property, mmseg 0.x's forward."""

    def __init__(self, loss_weight=1.0, loss_name='user_ce'):
        super().__init__()
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, cls_score, label, weight=None, ignore_index=255, **kwargs):
        return self.loss_weight * F.cross_entropy(cls_score, label, ignore_index=ignore_index)

    @property
    def loss_name(self):
        return self._loss_name


@LOSSES.register_module()
class UserLossWithoutName(nn.Module):
    def forward(self, cls_score, label, weight=None, ignore_index=255, **kwargs):
        return cls_score.mean()


@LOSSES.register_module()
class UserLossWithoutIgnoreIndex(UserCELoss):
    def forward(self, cls_score, label):
        return cls_score.mean()
'''


@pytest.fixture
def user_losses_config(tmp_path, monkeypatch):
    """``make(loss_decode, **head_overrides)``: the path of a config that registers USER_LOSSES through
    custom_imports and uses ``loss_decode`` in a tiny UNet++ model (the registry is restored afterwards)."""
    import sys

    from mmseg.models.builder import LOSSES
    (tmp_path / 'user_losses.py').write_text(USER_LOSSES)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(LOSSES, '_module_dict', dict(LOSSES._module_dict))

    def make(loss_decode, **head_overrides):
        model = tiny_segmentor(head=tiny_head(loss_decode=loss_decode, **head_overrides))
        path = tmp_path / 'user_config.py'
        path.write_text(f"custom_imports = dict(imports=['user_losses'])\nmodel = {model!r}\n")
        return str(path)

    yield make
    sys.modules.pop('user_losses', None)


def test_mmseg_0x_user_loss_from_custom_imports_trains_and_is_summed(user_losses_config):
    from mmcv import Config
    path = user_losses_config([dict(type='CrossEntropyLoss'), dict(type='UserCELoss', loss_weight=0.5)])
    model = build_segmentor(Config.fromfile(path).model)
    assert model.loss_keys() == {'decode.loss_ce', 'decode.user_ce'}
    log_vars = model.train_step(train_batch())['log_vars']
    torch.testing.assert_close(log_vars['decode.user_ce'], 0.5 * log_vars['decode.loss_ce'])  # no ignored pixels
    torch.testing.assert_close(log_vars['loss'], log_vars['decode.loss_ce'] + log_vars['decode.user_ce'])


@pytest.mark.parametrize('loss, overrides, error, message', [
    (dict(type='UserLossWithoutName'), {}, TypeError, r"UserLossWithoutName.*declares no loss_name"),
    (dict(type='UserLossWithoutIgnoreIndex'), {}, TypeError, r"UserLossWithoutIgnoreIndex.*ignore_index"),
    (dict(type='UserCELoss'), dict(out_channels=1), ValueError, r"binary mode.*UserCELoss.*use_sigmoid = True"),
])
def test_a_user_loss_that_misses_the_protocol_is_an_error_at_build(user_losses_config, loss, overrides, error,
                                                                    message):
    from mmcv import Config
    cfg = Config.fromfile(user_losses_config([dict(type='CrossEntropyLoss', use_sigmoid=True), loss], **overrides))
    with pytest.raises(error, match=message):
        build_segmentor(cfg.model)
