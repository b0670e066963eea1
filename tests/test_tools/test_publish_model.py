"""tools/publish_model.py: training-only state dropped, sha256 prefix in the name, atomic, loads back."""
import hashlib
import os
import re

import pytest
import torch
from torch import nn

from mmcv.checkpoint import load_checkpoint, save_checkpoint


@pytest.fixture
def training_checkpoint(tmp_path) -> str:
    """A checkpoint as the runner writes it: weights, optimizer, AMP scaler, RNG and data-loader state."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(2, 3, 8, 8)).sum().backward()
    optimizer.step()
    path = str(tmp_path / 'work' / 'iter_100.pth')
    save_checkpoint(model, path, optimizer=optimizer, scaler=torch.amp.GradScaler('cpu'),
                    meta=dict(iter=100, epoch=0, CLASSES=['background', 'vessel'], PALETTE=[[0, 0, 0], [1, 2, 3]],
                              config='model = dict()', data_loaders=[dict(epoch=0, position=5)]))
    return path


def test_published_file_drops_training_state_and_is_named_by_its_hash(load_tool, training_checkpoint, tmp_path,
                                                                      capsys):
    out_dir = tmp_path / 'release'
    final = load_tool('publish_model').main([training_checkpoint, str(out_dir / 'unetpp_drive.pth')])
    match = re.fullmatch(re.escape(str(out_dir / 'unetpp_drive-')) + r'([0-9a-f]{8})\.pth', final)
    assert match, final
    with open(final, 'rb') as f:
        assert hashlib.sha256(f.read()).hexdigest()[:8] == match.group(1)
    assert sorted(os.listdir(out_dir)) == [os.path.basename(final)]  # no temp file, no un-hashed copy
    assert f'published {final}' in capsys.readouterr().out

    published = torch.load(final, weights_only=True)
    original = torch.load(training_checkpoint, weights_only=True)
    assert {'optimizer', 'scaler', 'rng'} <= original.keys()
    assert sorted(published) == ['meta', 'state_dict']
    assert 'data_loaders' not in published['meta']
    assert {k: published['meta'][k] for k in ('iter', 'CLASSES', 'PALETTE', 'config')} == {
        k: original['meta'][k] for k in ('iter', 'CLASSES', 'PALETTE', 'config')}
    assert published['state_dict'].keys() == original['state_dict'].keys()
    for key, value in original['state_dict'].items():
        assert torch.equal(published['state_dict'][key], value), key
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    load_checkpoint(model, final, strict=True)
    assert torch.equal(model[0].weight, original['state_dict']['0.weight'])
    assert os.path.getsize(final) < os.path.getsize(training_checkpoint)


def test_out_file_without_pth_suffix(load_tool, training_checkpoint, tmp_path):
    final = load_tool('publish_model').main([training_checkpoint, str(tmp_path / 'model.v1')])
    assert re.fullmatch(re.escape(str(tmp_path / 'model.v1-')) + r'[0-9a-f]{8}\.pth', final)


@pytest.mark.parametrize('content, message', [(None, 'checkpoint not found'),
                                              (b'not a zip', r'cannot load .*in\.pth with weights_only=True'),
                                              ({'weights': torch.zeros(1)}, 'is not a training checkpoint')])
def test_bad_input_exits_and_writes_nothing(content, message, load_tool, tmp_path):
    in_file = tmp_path / 'in.pth'
    if isinstance(content, bytes):
        in_file.write_bytes(content)
    elif content is not None:
        torch.save(content, in_file)
    out_dir = tmp_path / 'release'
    with pytest.raises(SystemExit, match=message):
        load_tool('publish_model').main([str(in_file), str(out_dir / 'model.pth')])
    assert not out_dir.exists()


class NotWeights:
    """An object that only a full unpickle can load: refused by weights-only loading."""


def edited(source: str, path, edit) -> str:
    checkpoint = torch.load(source, weights_only=True)
    edit(checkpoint)
    torch.save(checkpoint, path)
    return str(path)


def put_nan(checkpoint):
    checkpoint['state_dict']['0.weight'][0, 0, 0, 0] = float('nan')


def put_inf_in_bn(checkpoint):
    checkpoint['state_dict']['1.running_var'][1] = float('inf')


def put_object(checkpoint):
    checkpoint['meta']['extra'] = NotWeights()


@pytest.mark.parametrize('edit, message', [
    (put_nan, r'checkpoint .*in\.pth: NaN or Inf values in 1 tensor\(s\): state_dict\.0\.weight'),
    (put_inf_in_bn, r'checkpoint .*in\.pth: NaN or Inf values in 1 tensor\(s\): state_dict\.1\.running_var'),
    (put_object, r'cannot load .*in\.pth with weights_only=True: it holds objects other than tensors'),
], ids=['nan_weight', 'inf_buffer', 'pickled_object'])
def test_what_tools_test_refuses_is_not_published(load_tool, training_checkpoint, tmp_path, edit, message):
    in_file = edited(training_checkpoint, tmp_path / 'in.pth', edit)
    out_dir = tmp_path / 'release'
    with pytest.raises(SystemExit) as exc:
        load_tool('publish_model').main([in_file, str(out_dir / 'model.pth')])
    assert re.match('error: ' + message, str(exc.value.code)), exc.value.code
    assert '\n' not in str(exc.value.code)
    assert not out_dir.exists()


def test_out_file_that_is_a_folder_is_refused_before_loading(load_tool, training_checkpoint, tmp_path, monkeypatch):
    tool = load_tool('publish_model')
    monkeypatch.setattr(tool, 'publish_checkpoint', lambda *a: pytest.fail('the checkpoint was read first'))
    (tmp_path / 'release').mkdir()
    for out_file in (tmp_path / 'release', str(tmp_path / 'release') + os.sep):
        with pytest.raises(SystemExit) as exc:
            tool.main([training_checkpoint, str(out_file)])
        assert str(exc.value.code).startswith(f'error: out_file {out_file} is a folder; give a file name such as ')
    assert os.listdir(tmp_path / 'release') == []
    (tmp_path / 'a_file').write_text('')
    with pytest.raises(SystemExit, match=r'error: out_file .*model\.pth: .*a_file exists and is not a folder'):
        tool.main([training_checkpoint, str(tmp_path / 'a_file' / 'model.pth')])


def test_published_name_taken_by_a_folder_is_a_clear_error(load_tool, training_checkpoint, tmp_path):
    tool = load_tool('publish_model')
    final = tool.main([training_checkpoint, str(tmp_path / 'model.pth')])
    os.remove(final)
    os.mkdir(final)  # the hashed name the same checkpoint publishes to
    with pytest.raises(SystemExit) as exc:
        tool.main([training_checkpoint, str(tmp_path / 'model.pth')])
    assert exc.value.code == f'error: cannot publish to {final}: it exists and is a folder'
    assert sorted(os.listdir(tmp_path)) == sorted(['model-' + final.rsplit('-', 1)[1], 'work'])
