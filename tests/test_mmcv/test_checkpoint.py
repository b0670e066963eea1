import copy
import logging
import os
import pickle
import random
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn as nn

import mmcv
from mmcv import checkpoint as ckpt_module
from mmcv.checkpoint import (_load_checkpoint, get_rng_state, load_checkpoint, save_checkpoint, set_rng_state,
                             weights_to_cpu)
from mmcv.parallel import MMDataParallel


class Net(nn.Module):
    def __init__(self, width=3):
        super().__init__()
        self.conv = nn.Conv2d(1, width, 1)
        self.bn = nn.BatchNorm2d(width)


class FakeConfig:
    pretty_text = "model = dict(type='UNet')\n"


def _saved(tmp_path, **kwargs):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model.conv.weight.grad = torch.ones_like(model.conv.weight)
    optimizer.step()
    path = str(tmp_path / 'ckpt.pth')
    save_checkpoint(MMDataParallel(model), path, optimizer=optimizer, **kwargs)
    return model, path


def test_checkpoint_round_trip_loads_with_weights_only(tmp_path):
    meta = dict(iter=7, config=FakeConfig(), seed=np.int64(3), mean=np.array([1., 2.]), env_info=object())
    model, path = _saved(tmp_path, meta=meta)
    ckpt = torch.load(path, weights_only=True)
    assert set(ckpt) == {'meta', 'state_dict', 'optimizer', 'rng'}
    assert list(ckpt['state_dict']) == list(model.state_dict())  # no 'module.' prefix
    assert ckpt['meta']['iter'] == 7 and ckpt['meta']['seed'] == 3
    assert ckpt['meta']['config'] == FakeConfig.pretty_text and isinstance(ckpt['meta']['env_info'], str)
    assert torch.equal(ckpt['meta']['mean'], torch.tensor([1., 2.], dtype=torch.float64))
    assert ckpt['meta']['mmcv_version'] == mmcv.__version__ and 'time' in ckpt['meta']
    assert 'momentum_buffer' in ckpt['optimizer']['state'][0]

    fresh = Net()
    returned = load_checkpoint(fresh, path, strict=True)
    assert returned['meta']['iter'] == 7
    for a, b in zip(model.state_dict().values(), fresh.state_dict().values()):
        assert torch.equal(a, b)


def test_rng_state_round_trip():
    state = get_rng_state()
    first = (random.random(), np.random.rand(), np.random.randn(), torch.rand(2))
    set_rng_state(state)
    again = (random.random(), np.random.rand(), np.random.randn(), torch.rand(2))
    assert first[:3] == again[:3] and torch.equal(first[3], again[3])


def test_a_failed_save_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    _, path = _saved(tmp_path)
    before = open(path, 'rb').read()

    def broken_save(obj, f):
        f.write(b'partial')
        raise OSError('disk full')

    monkeypatch.setattr(ckpt_module.torch, 'save', broken_save)
    with pytest.raises(OSError, match='disk full'):
        save_checkpoint(Net(), path)
    assert os.listdir(tmp_path) == ['ckpt.pth']
    assert open(path, 'rb').read() == before


def test_truncated_and_foreign_files_give_clear_errors(tmp_path):
    _, path = _saved(tmp_path)
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(open(path, 'rb').read()[:1000])
    with pytest.raises(RuntimeError, match=r'truncated\.pth: the file is truncated or not a PyTorch checkpoint'):
        load_checkpoint(Net(), str(truncated))
    text = tmp_path / 'notes.txt'
    text.write_text('hello\n')
    with pytest.raises(RuntimeError, match=r'notes\.txt: the file is truncated or not a PyTorch checkpoint'):
        load_checkpoint(Net(), str(text))
    pickled = tmp_path / 'object.pth'
    torch.save({'state_dict': OrderedDict(), 'extra': FakeConfig()}, pickled)
    with pytest.raises(RuntimeError, match=r'object\.pth with weights_only=True'):
        load_checkpoint(Net(), str(pickled))
    plain = tmp_path / 'plain.pkl'
    plain.write_bytes(pickle.dumps({'a': 1}, protocol=2))
    with pytest.raises(RuntimeError, match=r'plain\.pkl'):
        load_checkpoint(Net(), str(plain))
    with pytest.raises(FileNotFoundError, match='missing.pth does not exist'):
        load_checkpoint(Net(), str(tmp_path / 'missing.pth'))
    with pytest.raises(ValueError, match='nothing is downloaded'):
        load_checkpoint(Net(), 'https://example.com/model.pth')


def test_strict_loading_lists_missing_unexpected_and_mismatched_keys(tmp_path, caplog):
    state = Net().state_dict()
    state['extra.weight'] = torch.zeros(1)
    del state['bn.bias']
    state['conv.bias'] = torch.zeros(5)
    path = tmp_path / 'odd.pth'
    torch.save(state, path)
    with pytest.raises(RuntimeError) as info:
        load_checkpoint(Net(), str(path), strict=True)
    message = str(info.value)
    assert 'unexpected keys' in message and 'extra.weight' in message
    assert 'missing keys' in message and 'bn.bias' in message
    assert 'size mismatch for conv.bias: (5,)' in message and str(path) in message

    model = Net()
    with caplog.at_level(logging.WARNING, logger='mmcv.test'):
        load_checkpoint(model, str(path), logger=logging.getLogger('mmcv.test'), partial=True)
    assert 'bn.bias' in caplog.text
    assert torch.equal(model.conv.weight, state['conv.weight'])  # matching keys are loaded


def test_module_prefix_is_stripped_from_raw_state_dicts(tmp_path):
    source = Net()
    path = tmp_path / 'ddp.pth'
    torch.save({'module.' + k: v for k, v in source.state_dict().items()}, path)
    target = Net()
    load_checkpoint(target, str(path), strict=True)
    assert torch.equal(target.conv.weight, source.conv.weight)


def test_torchvision_names_are_read_from_the_hub_cache_only(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    cached = tmp_path / 'hub' / 'checkpoints' / 'resnet34-b627a593.pth'
    with pytest.raises(FileNotFoundError) as info:
        load_checkpoint(Net(), 'torchvision://resnet34')
    assert str(cached) in str(info.value) and 'https://download.pytorch.org/models/resnet34-b627a593.pth' in str(
        info.value)
    cached.parent.mkdir(parents=True)
    weights = Net().state_dict()
    torch.save(weights, cached)
    model = Net()
    load_checkpoint(model, 'torchvision://resnet34', strict=True)
    assert torch.equal(model.conv.weight, weights['conv.weight'])
    with pytest.raises(KeyError, match='no model named'):
        _load_checkpoint('torchvision://resnet_unknown')


def test_weights_to_cpu_copies_every_tensor():
    state = weights_to_cpu(Net().state_dict())
    assert all(v.device.type == 'cpu' for v in state.values()) and isinstance(state, OrderedDict)


def test_save_refuses_nonfinite_buffers_and_optimizer_state(tmp_path):
    model, path = _saved(tmp_path)
    model.bn.running_var[1] = float('inf')
    with pytest.raises(FloatingPointError, match=r'new\.pth was not written: NaN or Inf .*state_dict\.bn\.running_var'):
        save_checkpoint(model, str(tmp_path / 'new.pth'))
    model.bn.running_var.fill_(1.0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model.conv.weight.grad = torch.ones_like(model.conv.weight)
    optimizer.step()
    optimizer.state[model.conv.weight]['momentum_buffer'][0] = float('nan')
    with pytest.raises(FloatingPointError, match=r'optimizer\.state\.0\.momentum_buffer'):
        save_checkpoint(model, str(tmp_path / 'new.pth'), optimizer=optimizer)
    assert os.listdir(tmp_path) == ['ckpt.pth']


def test_load_refuses_nonfinite_weights_naming_file_and_tensors(tmp_path):
    state = Net().state_dict()
    state['bn.running_var'][0] = float('nan')
    state['conv.weight'][0] = float('-inf')
    path = tmp_path / 'diverged.pth'
    torch.save(state, path)
    model = Net()
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(FloatingPointError) as info:
        load_checkpoint(model, str(path))
    assert f'checkpoint {path}: NaN or Inf values in 2 tensor(s): conv.weight, bn.running_var' in str(info.value)
    assert all(torch.equal(a, b) for a, b in zip(before.values(), model.state_dict().values()))


class Other(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.conv = nn.Conv2d(1, 3, 1)


def test_a_checkpoint_must_cover_the_model_unless_partial(tmp_path, caplog):
    path = tmp_path / 'other.pth'
    torch.save(Other().state_dict(), path)
    model = Net()
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(RuntimeError) as info:
        load_checkpoint(model, str(path))
    message = str(info.value)
    assert f'cannot load {path}: it does not cover the model' in message and '--partial-load' in message
    assert "2 of the model's 7 keys load; 5 missing, 2 unexpected, 0 of another shape" in message
    assert 'missing keys: bn.weight, bn.bias, bn.running_mean, bn.running_var, bn.num_batches_tracked' in message
    assert all(torch.equal(a, b) for a, b in zip(before.values(), model.state_dict().values()))

    with caplog.at_level(logging.WARNING, logger='mmcv.test'):
        load_checkpoint(model, str(path), partial=True, logger=logging.getLogger('mmcv.test'))
    assert '5 missing' in caplog.text
    assert torch.equal(model.conv.weight, torch.load(path)['conv.weight'])

    torch.save(nn.Linear(2, 2).state_dict(), path)
    with pytest.raises(RuntimeError, match='none of its keys fits this model'):
        load_checkpoint(Net(), str(path), partial=True)


def test_extra_keys_are_a_warning_unless_strict(tmp_path, caplog):
    state = Net().state_dict()
    state['aux.weight'] = torch.zeros(2)
    path = tmp_path / 'extra.pth'
    torch.save(state, path)
    with caplog.at_level(logging.WARNING, logger='mmcv.test'):
        load_checkpoint(Net(), str(path), logger=logging.getLogger('mmcv.test'))
    assert 'unexpected keys: aux.weight' in caplog.text
    with pytest.raises(RuntimeError, match='unexpected keys: aux.weight'):
        load_checkpoint(Net(), str(path), strict=True)


def test_long_key_lists_are_shortened(tmp_path):
    wide = nn.Sequential(*[nn.Linear(1, 1) for _ in range(8)])
    torch.save({}, tmp_path / 'empty.pth')
    with pytest.raises(RuntimeError, match=r'missing keys: 0\.weight, 0\.bias, .*4\.bias \.\.\. and 6 more'):
        load_checkpoint(wide, str(tmp_path / 'empty.pth'))


def test_remove_stale_temporaries_only_touches_interrupted_saves(tmp_path):
    names = ['.iter_3.pth.a1b2c3d4.tmp', '.latest.pth.77.tmp', '.config.py.a1b2c3d4.tmp', 'iter_3.pth',
             '.iter_3.pth.tmp.bak']
    for name in names:
        (tmp_path / name).write_bytes(b'x')
    (tmp_path / '.dir.pth.abcdefgh.tmp').mkdir()
    assert ckpt_module.remove_stale_temporaries(str(tmp_path)) == ['.iter_3.pth.a1b2c3d4.tmp', '.latest.pth.77.tmp']
    assert sorted(os.listdir(tmp_path)) == sorted(names[2:] + ['.dir.pth.abcdefgh.tmp'])
    assert ckpt_module.remove_stale_temporaries(str(tmp_path / 'absent')) == []
