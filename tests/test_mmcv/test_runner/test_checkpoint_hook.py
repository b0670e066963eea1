import logging
import os
import os.path as osp
import subprocess
import sys

import pytest

from mmcv.checkpoint import _load_checkpoint
from mmcv.runner import CheckpointHook

from .toy import make_loader, make_runner


def _run(tmp_path, max_iters=10, **hook_args):
    runner = make_runner(tmp_path, max_iters=max_iters)
    runner.register_training_hooks(None, dict(), dict(**hook_args))
    runner.run([make_loader()], [('train', 1)])
    return runner


def _files(folder):
    return sorted(os.listdir(folder))


def test_saves_every_interval_and_at_the_end_with_latest_symlink(tmp_path):
    runner = _run(tmp_path, interval=3, meta=dict(config='model = dict()'))
    assert _files(tmp_path) == ['iter_10.pth', 'iter_3.pth', 'iter_6.pth', 'iter_9.pth', 'latest.pth']
    assert os.readlink(tmp_path / 'latest.pth') == 'iter_10.pth'
    ckpt = _load_checkpoint(str(tmp_path / 'iter_6.pth'))
    assert ckpt['meta']['iter'] == 6 and ckpt['meta']['config'] == 'model = dict()'
    assert 'optimizer' in ckpt
    assert runner.meta['hook_msgs']['last_ckpt'] == str(tmp_path / 'iter_10.pth')


def test_max_keep_ckpts_deletes_the_oldest(tmp_path):
    (tmp_path / 'best_mDice_iter_1.pth').write_bytes(b'not ours')
    _run(tmp_path, interval=3, max_keep_ckpts=2)
    assert _files(tmp_path) == ['best_mDice_iter_1.pth', 'iter_10.pth', 'iter_9.pth', 'latest.pth']


def test_max_keep_ckpts_never_deletes_the_file_just_written(tmp_path):
    (tmp_path / 'iter_100.pth').write_bytes(b'left by an older, longer run')
    _run(tmp_path, interval=3, max_keep_ckpts=1)
    assert _files(tmp_path) == ['iter_10.pth', 'latest.pth']
    assert os.readlink(tmp_path / 'latest.pth') == 'iter_10.pth'


def test_stale_temporaries_of_interrupted_saves_are_removed_at_start(tmp_path, caplog):
    stale = ['.iter_4.pth.k2j_9xq1.tmp', '.latest.pth.4242.tmp', '.best_mDice_iter_8.pth.abcdefgh.tmp']
    kept = ['.notes.txt.abcdefgh.tmp', 'iter_4.pth.tmp', '.iter_4.pth', 'mine.tmp']
    for name in stale + kept:
        (tmp_path / name).write_bytes(b'x')
    with caplog.at_level(logging.WARNING, logger='mmcv.test'):
        _run(tmp_path, max_iters=2, interval=2)
    assert _files(tmp_path) == sorted(kept + ['iter_2.pth', 'latest.pth'])
    assert 'removed 3 temporary file(s)' in caplog.text and all(name in caplog.text for name in stale)


KILLED_SAVE = """
import contextlib, os, sys, torch
from mmcv import checkpoint
real = checkpoint.atomic_write
class Killed:
    def __init__(self, f):
        self.f = f
    def write(self, data):
        self.f.write(bytes(data[:len(data) // 2]))
        self.f.flush()
        os._exit(9)
@contextlib.contextmanager
def killed_midway(path, mode='w', **kwargs):
    with real(path, mode, **kwargs) as f:
        yield Killed(f)
checkpoint.atomic_write = killed_midway
checkpoint.save_checkpoint(torch.nn.Linear(2, 2), sys.argv[1])
"""


@pytest.mark.slow
def test_a_save_killed_midway_leaves_a_temporary_that_the_next_run_removes(tmp_path):
    root = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    env = dict(os.environ, PYTHONPATH=root)
    done = subprocess.run([sys.executable, '-c', KILLED_SAVE, str(tmp_path / 'iter_4.pth')], env=env)
    assert done.returncode == 9
    (left,) = _files(tmp_path)
    assert left.startswith('.iter_4.pth.') and left.endswith('.tmp')
    _run(tmp_path, max_iters=2, interval=2)
    assert _files(tmp_path) == ['iter_2.pth', 'latest.pth']


def test_stale_temporaries_in_a_separate_out_dir_are_removed(tmp_path):
    out_dir = tmp_path / 'ckpts'
    out_dir.mkdir()
    (out_dir / '.iter_2.pth.abcdefgh.tmp').write_bytes(b'x')
    _run(tmp_path / 'work', max_iters=2, interval=2, out_dir=str(out_dir))
    assert _files(out_dir) == ['iter_2.pth', 'latest.pth']


def test_latest_is_a_copy_where_symlinks_fail(tmp_path, monkeypatch):
    def no_symlink(*args):
        raise OSError('symlinks not supported')

    monkeypatch.setattr(os, 'symlink', no_symlink)
    _run(tmp_path, interval=5)
    assert not os.path.islink(tmp_path / 'latest.pth')
    assert (tmp_path / 'latest.pth').read_bytes() == (tmp_path / 'iter_10.pth').read_bytes()
    assert not [name for name in _files(tmp_path) if name.startswith('.')]


def test_only_rank_0_writes(tmp_path):
    runner = make_runner(tmp_path, max_iters=4)
    runner.rank = 1
    runner.register_training_hooks(None, dict(), dict(interval=2))
    runner.run([make_loader()], [('train', 1)])
    assert _files(tmp_path) == []


def test_without_optimizer_state(tmp_path):
    _run(tmp_path, max_iters=2, interval=2, save_optimizer=False)
    assert 'optimizer' not in _load_checkpoint(str(tmp_path / 'iter_2.pth'))


def test_invalid_settings_are_rejected():
    with pytest.raises(ValueError, match='by_epoch=False'):
        CheckpointHook(by_epoch=True)
    with pytest.raises(ValueError, match='filename_tmpl'):
        CheckpointHook(filename_tmpl='ckpt.pth')
