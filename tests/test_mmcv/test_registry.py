"""Registry: registering (decorator and call), name lookups, and building objects from configs."""
import pytest

from mmcv.registry import Registry, build_from_cfg


@pytest.fixture
def backbones():
    registry = Registry('backbones')

    @registry.register_module()
    class ResNet:
        def __init__(self, depth, norm='BN'):
            self.depth = depth
            self.norm = norm

    @registry.register_module()
    class ResNeXt:
        def __init__(self, depth):
            self.depth = depth

    return registry


def test_decorator_registers_under_class_name(backbones):
    assert 'ResNet' in backbones and 'ResNeXt' in backbones
    assert len(backbones) == 2
    assert set(backbones.module_dict) == {'ResNet', 'ResNeXt'}
    assert backbones.get('ResNet').__name__ == 'ResNet'
    assert backbones.get('VGG') is None


def test_call_form_and_custom_names():
    registry = Registry('losses')

    def dice_loss():
        return 'dice'

    assert registry.register_module(module=dice_loss) is dice_loss
    registry.register_module(name=['CE', 'CrossEntropy'], module=dict)
    assert registry.get('dice_loss') is dice_loss
    assert registry.get('CE') is dict and registry.get('CrossEntropy') is dict

    @registry.register_module('Focal')
    class FocalLoss:
        pass

    assert registry.get('Focal') is FocalLoss and 'FocalLoss' not in registry


def test_duplicate_name_is_an_error_unless_forced(backbones):
    class ResNet:
        pass

    with pytest.raises(KeyError, match="'ResNet' is already registered in backbones"):
        backbones.register_module(module=ResNet)
    backbones.register_module(module=ResNet, force=True)
    assert backbones.get('ResNet') is ResNet


def test_registering_bad_things_is_a_clear_error(backbones):
    with pytest.raises(TypeError, match=r'register_module\(\) \(with parentheses\)'):
        @backbones.register_module
        class VGG:
            pass
    with pytest.raises(TypeError, match='only a class or function'):
        backbones.register_module(module=3)
    with pytest.raises(TypeError, match='name must be a str or a list of str'):
        backbones.register_module(name=5, module=dict)
    with pytest.raises(TypeError, match='force must be a bool'):
        backbones.register_module(force=1)


def test_build_uses_type_and_the_other_keys(backbones):
    model = backbones.build(dict(type='ResNet', depth=34))
    assert type(model).__name__ == 'ResNet' and model.depth == 34 and model.norm == 'BN'


def test_build_with_default_args_which_the_cfg_overrides(backbones):
    model = backbones.build(dict(type='ResNet', depth=34), default_args=dict(depth=50, norm='GN'))
    assert model.depth == 34 and model.norm == 'GN'
    model = build_from_cfg(dict(depth=18), backbones, default_args=dict(type='ResNeXt'))
    assert type(model).__name__ == 'ResNeXt'


def test_build_does_not_modify_the_cfg(backbones):
    cfg = dict(type='ResNet', depth=34)
    backbones.build(cfg, default_args=dict(norm='GN'))
    assert cfg == dict(type='ResNet', depth=34)


def test_class_as_type(backbones):
    class Custom:
        def __init__(self, x):
            self.x = x

    assert backbones.build(dict(type=Custom, x=3)).x == 3


def test_unknown_type_names_the_registry_and_suggests_close_names(backbones):
    with pytest.raises(KeyError) as info:
        backbones.build(dict(type='Resnet', depth=34))
    message = str(info.value)
    assert "'Resnet' is not in the backbones registry" in message
    assert "did you mean 'ResNet'" in message


def test_bad_cfg_errors(backbones):
    with pytest.raises(TypeError, match='must be a dict'):
        backbones.build(['ResNet'])
    with pytest.raises(KeyError, match='needs the key "type"'):
        backbones.build(dict(depth=3))
    with pytest.raises(TypeError, match='type must be a str or a class'):
        backbones.build(dict(type=3))
    with pytest.raises(TypeError, match=r'ResNet \(from the backbones registry\).*unexpected keyword'):
        backbones.build(dict(type='ResNet', depth=3, width=2))


def test_custom_build_func():
    registry = Registry('things', build_func=lambda cfg, reg, default_args: ('built', cfg['type']))
    assert registry.build(dict(type='X')) == ('built', 'X')
