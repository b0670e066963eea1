import pytest
import torch
import torchvision
from torch import nn

from mmseg.models import build_backbone
from mmseg.models.backbones import ResNet


@pytest.mark.parametrize('depth, channels', [(18, [64, 64, 128, 256, 512]), (50, [64, 256, 512, 1024, 2048])])
def test_levels_have_the_documented_strides_and_channels(depth, channels):
    model = build_backbone(dict(type='ResNet', depth=depth)).eval()
    with torch.no_grad():
        levels = model(torch.randn(1, 3, 64, 96))
    assert [f.shape[1] for f in levels] == channels == model.out_channels
    assert [tuple(f.shape[2:]) for f in levels] == [(64 // s, 96 // s) for s in (2, 4, 8, 16, 32)]


def test_odd_input_sizes_round_up_like_torchvision():
    model = ResNet(depth=34).eval()
    with torch.no_grad():
        levels = model(torch.randn(1, 3, 584, 565))
    assert [tuple(f.shape[2:]) for f in levels] == [(292, 283), (146, 142), (73, 71), (37, 36), (19, 18)]


def test_out_indices_select_levels_and_unused_stages_are_not_built():
    model = ResNet(depth=18, out_indices=(0, 2)).eval()
    levels = model(torch.randn(1, 3, 32, 32))
    assert [f.shape[1] for f in levels] == [64, 128]
    assert not hasattr(model, 'layer3') and not hasattr(model, 'layer4') and not hasattr(model, 'fc')


def test_bad_arguments_are_reported():
    with pytest.raises(KeyError, match='depth'):
        ResNet(depth=101)
    with pytest.raises(ValueError, match='out_indices'):
        ResNet(out_indices=(2, 1))
    with pytest.raises(KeyError, match='norm_cfg'):
        ResNet(depth=18, norm_cfg=dict(type='LN'))


def test_frozen_stages_stay_frozen_in_train_mode():
    model = ResNet(depth=18, frozen_stages=1)
    model.train()
    for module in (model.conv1, model.bn1, model.layer1):
        assert all(not p.requires_grad for p in module.parameters())
    assert not model.bn1.training and not model.layer1[0].bn1.training
    assert model.layer2[0].bn1.training and all(p.requires_grad for p in model.layer2.parameters())


def test_norm_eval_keeps_running_statistics():
    model = ResNet(depth=18, out_indices=(0,), norm_eval=True).train()
    before = model.bn1.running_mean.clone()
    model(torch.randn(2, 3, 32, 32))
    assert torch.equal(model.bn1.running_mean, before)


@pytest.mark.parametrize('norm_cfg, layer', [(dict(type='GN', num_groups=8), nn.GroupNorm),
                                             (dict(type='SyncBN'), nn.SyncBatchNorm)])
def test_norm_cfg_selects_the_norm_layer(norm_cfg, layer):
    model = ResNet(depth=18, out_indices=(0, 1), norm_cfg=norm_cfg)
    assert isinstance(model.bn1, layer) and isinstance(model.layer1[0].bn2, layer)


def test_pretrained_weights_load_from_a_local_torchvision_file(tmp_path):
    pytest.importorskip('mmcv.checkpoint')
    reference = torchvision.models.resnet18()
    path = tmp_path / 'resnet18.pth'
    torch.save(reference.state_dict(), path)
    model = ResNet(depth=18, out_indices=(0, 1, 2), init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    assert not torch.equal(model.conv1.weight, reference.conv1.weight)
    model.init_weights()
    assert torch.equal(model.conv1.weight, reference.conv1.weight)
    assert torch.equal(model.layer2[1].conv2.weight, reference.layer2[1].conv2.weight)
    assert torch.equal(model.layer1[0].bn1.running_var, reference.layer1[0].bn1.running_var)


def test_missing_pretrained_file_fails_clearly_without_download(tmp_path, monkeypatch):
    pytest.importorskip('mmcv.checkpoint')
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    with pytest.raises(FileNotFoundError, match='hub cache'):
        ResNet(depth=34, pretrained='torchvision://resnet34').init_weights()
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        ResNet(depth=18, pretrained=str(tmp_path / 'missing.pth')).init_weights()
