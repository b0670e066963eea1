import pytest
import torch

from mmcv.parallel import MMDataParallel
from mmcv.runner import OPTIMIZERS, build_optimizer

from .toy import ToyModel


def _settings(optimizer):
    """{parameter id: (lr, weight_decay)} of every parameter."""
    return {id(p): (g['lr'], g['weight_decay']) for g in optimizer.param_groups for p in g['params']}


def test_every_torch_optimizer_is_registered():
    for name in ('SGD', 'Adam', 'AdamW', 'RMSprop'):
        assert OPTIMIZERS.get(name) is getattr(torch.optim, name)


def test_plain_config_builds_one_group_over_all_parameters():
    model = ToyModel()
    optimizer = build_optimizer(model, dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4))
    assert isinstance(optimizer, torch.optim.SGD)
    assert len(optimizer.param_groups) == 1
    assert optimizer.param_groups[0]['momentum'] == 0.9
    assert len(optimizer.param_groups[0]['params']) == len(list(model.parameters()))


def test_paramwise_cfg_sets_lr_and_decay_per_parameter_in_merged_groups():
    model = ToyModel()
    cfg = dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0005,
               paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.)}, norm_decay_mult=0., bias_decay_mult=0.))
    optimizer = build_optimizer(MMDataParallel(model), cfg)
    settings = _settings(optimizer)
    assert settings[id(model.head.weight)] == settings[id(model.head.bias)] == (0.1, 0.0005)
    assert settings[id(model.norm.weight)] == settings[id(model.norm.bias)] == (0.01, 0.)
    assert settings[id(model.backbone.bias)] == (0.01, 0.)
    assert settings[id(model.backbone.weight)] == (0.01, 0.0005)
    assert len(optimizer.param_groups) == 3  # parameters with equal settings share a group
    assert len(settings) == len(list(model.parameters()))


def test_longest_custom_key_wins():
    model = ToyModel()
    cfg = dict(type='SGD', lr=1.0, paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=2.),
                                                                    'head.bias': dict(lr_mult=3.)}))
    settings = {id(p): g['lr'] for g in build_optimizer(model, cfg).param_groups for p in g['params']}
    assert settings[id(model.head.weight)] == 2. and settings[id(model.head.bias)] == 3.


def test_config_errors_name_the_problem():
    with pytest.raises(KeyError, match='SDG.*did you mean'):
        build_optimizer(ToyModel(), dict(type='SDG', lr=0.1))
    with pytest.raises(KeyError, match='unknown paramwise_cfg keys'):
        build_optimizer(ToyModel(), dict(type='SGD', lr=0.1, paramwise_cfg=dict(head_mult=2.)))
