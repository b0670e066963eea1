"""UNet backbone: mmseg 0.x's arguments, output list, parameter names and input check."""
import pytest
import torch

from mmseg.models import build_backbone
from mmseg.models.backbones import UNet


def small_unet(**overrides) -> UNet:
    return build_backbone(dict(dict(type='UNet', base_channels=4), **overrides))


def test_outputs_are_the_bottom_then_each_decoder_stage():
    model = small_unet().eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 64, 48))
    assert [o.shape[1] for o in outs] == [64, 32, 16, 8, 4] == model.out_channels
    assert [tuple(o.shape[2:]) for o in outs] == [(4, 3), (8, 6), (16, 12), (32, 24), (64, 48)]


def test_parameter_names_follow_mmseg():
    keys = set(small_unet().state_dict())
    assert {'encoder.0.0.convs.0.conv.weight', 'encoder.0.0.convs.1.bn.running_mean',
            'encoder.1.1.convs.0.conv.weight',  # encoder.1.0 is the max-pool
            'decoder.0.conv_block.convs.0.conv.weight', 'decoder.3.upsample.interp_upsample.1.conv.weight',
            'decoder.3.upsample.interp_upsample.1.bn.weight'} <= keys
    assert 'encoder.0.0.convs.0.conv.bias' not in keys  # conv before BN has no bias, as in mmcv


def test_deconv_upsampling_and_stride_conv_downsampling():
    model = small_unet(upsample_cfg=dict(type='DeconvModule'), strides=(1, 2, 2, 1, 1),
                       downsamples=(False, False, True, True)).eval()
    assert 'decoder.0.upsample.deconv_upsamping.0.weight' in model.state_dict()
    assert not any(isinstance(m, torch.nn.MaxPool2d) for m in model.encoder[1])
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 32, 32))
    assert [tuple(o.shape[2:]) for o in outs] == [(2, 2), (4, 4), (8, 8), (16, 16), (32, 32)]


def test_a_stage_without_downsampling_projects_instead_of_upsampling():
    model = small_unet(downsamples=(True, True, True, False)).eval()
    assert type(model.decoder[3].upsample).__name__ == 'ConvModule'
    assert model.downsample_rate == 8
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 24, 24))
    assert tuple(outs[0].shape[2:]) == tuple(outs[1].shape[2:]) == (3, 3)


def test_input_not_divisible_by_the_downsample_rate_is_a_clear_error():
    with pytest.raises(ValueError, match=r'\(60, 64\) must be divisible by 16'):
        small_unet()(torch.randn(1, 3, 60, 64))


@pytest.mark.parametrize('overrides, key', [(dict(strides=(1, 1, 1, 1)), 'strides'),
                                            (dict(dec_num_convs=(2, 2, 2, 2, 2)), 'dec_num_convs'),
                                            (dict(downsamples=(True,)), 'downsamples'),
                                            (dict(strides=(1, 3, 1, 1, 1)), 'strides')])
def test_argument_lengths_and_values_are_checked(overrides, key):
    with pytest.raises(ValueError, match=key):
        small_unet(**overrides)


def test_dilations_and_conv_counts_shape_the_blocks():
    model = small_unet(enc_num_convs=(1, 2, 3, 2, 2), enc_dilations=(1, 1, 2, 1, 1), dec_dilations=(1, 3, 1, 1))
    assert len(model.encoder[2][1].convs) == 3 and model.encoder[2][1].convs[1].conv.dilation == (2, 2)
    assert model.decoder[1].conv_block.convs[1].conv.dilation == (3, 3)


def test_with_cp_gives_the_same_outputs_and_gradients():
    torch.manual_seed(0)
    plain, checkpointed = small_unet(), small_unet(with_cp=True)
    checkpointed.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 32, 32)
    grads = []
    for model in (plain, checkpointed):
        out = model(x.clone().requires_grad_())[-1]
        out.square().mean().backward()
        grads.append(model.encoder[0][0].convs[0].conv.weight.grad)
    torch.testing.assert_close(grads[0], grads[1])


def test_norm_eval_and_act_cfg():
    model = small_unet(norm_eval=True, act_cfg=dict(type='LeakyReLU', negative_slope=0.1)).train()
    assert not model.encoder[0][0].convs[0].bn.training
    assert isinstance(model.encoder[0][0].convs[0].activate, torch.nn.LeakyReLU)
