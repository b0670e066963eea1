"""FCN, PSP and ASPP heads: mmseg 0.x's options, parameter names and output size."""
import pytest
import torch

from mmseg.models import build_head


def head_cfg(type_: str, **overrides) -> dict:
    cfg = dict(type=type_, in_channels=8, in_index=1, channels=4, num_classes=2, dropout_ratio=0.1)
    cfg.update(overrides)
    return cfg


def feats():
    return [torch.randn(2, 16, 8, 8), torch.randn(2, 8, 16, 16)]


@pytest.mark.parametrize('cfg, keys', [
    (head_cfg('FCNHead', num_convs=1, concat_input=False), {'convs.0.conv.weight', 'convs.0.bn.weight'}),
    (head_cfg('FCNHead'), {'convs.1.conv.weight', 'conv_cat.conv.weight'}),
    (head_cfg('PSPHead', pool_scales=(1, 2, 3, 6)), {'psp_modules.3.1.conv.weight', 'bottleneck.conv.weight'}),
    (head_cfg('ASPPHead', dilations=(1, 12, 24, 36)), {'image_pool.1.conv.weight', 'aspp_modules.3.conv.weight',
                                                       'bottleneck.conv.weight'}),
])
def test_heads_have_mmsegs_parameter_names_and_predict_at_their_level(cfg, keys):
    head = build_head(cfg)
    assert keys | {'conv_seg.weight', 'conv_seg.bias'} <= set(head.state_dict())
    logits = head(feats())
    assert tuple(logits.shape) == (2, 2, 16, 16)
    assert set(head.losses(logits, torch.randint(0, 2, (2, 1, 16, 16)))) == {'loss_ce', 'acc_seg'}


def test_aspp_branches_use_the_dilations_and_psp_the_pool_scales():
    aspp = build_head(head_cfg('ASPPHead', dilations=(1, 6)))
    assert aspp.aspp_modules[0].conv.kernel_size == (1, 1) and aspp.aspp_modules[1].conv.dilation == (6, 6)
    assert aspp.bottleneck.conv.in_channels == 3 * 4
    psp = build_head(head_cfg('PSPHead', pool_scales=(1, 3)))
    assert [m[0].output_size for m in psp.psp_modules] == [1, 3] and psp.bottleneck.conv.in_channels == 8 + 2 * 4


def test_fcn_kernel_size_dilation_and_no_convs():
    head = build_head(head_cfg('FCNHead', num_convs=2, kernel_size=1, dilation=2, concat_input=False))
    assert head.convs[0].conv.kernel_size == (1, 1) and head.convs[1].conv.dilation == (2, 2)
    dilated = build_head(head_cfg('FCNHead', num_convs=1, dilation=3, concat_input=False))
    assert dilated.convs[0].conv.padding == (3, 3) and tuple(dilated(feats()).shape[2:]) == (16, 16)
    identity = build_head(head_cfg('FCNHead', num_convs=0, channels=8, concat_input=False))
    assert isinstance(identity.convs, torch.nn.Identity)
    with pytest.raises(ValueError, match='num_convs=0'):
        build_head(head_cfg('FCNHead', num_convs=0))


def test_conv_cfg_norm_cfg_and_act_cfg_reach_the_convs():
    head = build_head(head_cfg('PSPHead', conv_cfg=dict(type='Conv2d'), norm_cfg=dict(type='GN', num_groups=2),
                               act_cfg=dict(type='GELU')))
    assert isinstance(head.bottleneck.gn, torch.nn.GroupNorm) and isinstance(head.bottleneck.activate, torch.nn.GELU)
    with pytest.raises(KeyError, match='conv_cfg'):
        build_head(head_cfg('FCNHead', conv_cfg=dict(type='DCN')))
