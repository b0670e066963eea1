"""A full disk while saving a checkpoint or appending to the JSON log: one line naming the file, latest.pth intact."""
import contextlib
import errno
import glob
import io
import os
import os.path as osp

import pytest

import mmcv.checkpoint
import mmcv.runner.hooks.logger.text as text_logger
from mmcv.checkpoint import _load_checkpoint
from mmcv.fileio import NoSpaceError

from .toy import make_loader, make_runner


class FullFile(io.RawIOBase):
    """A writable file whose writes fail as on a full disk."""

    def writable(self):
        return True

    def write(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def fill_disk_when_writing(monkeypatch, name_part: str):
    """Checkpoint files whose name contains ``name_part`` meet a full disk (after their temp file was made)."""
    real = mmcv.checkpoint.atomic_write

    @contextlib.contextmanager
    def atomic_write(path, mode='w', **kwargs):
        with real(path, mode, **kwargs) as f:
            yield FullFile() if name_part in osp.basename(path) else f

    monkeypatch.setattr(mmcv.checkpoint, 'atomic_write', atomic_write)


def test_checkpoint_on_a_full_disk_names_the_file_and_keeps_latest(tmp_path, monkeypatch):
    runner = make_runner(tmp_path, max_iters=4)
    runner.register_training_hooks(None, dict(), dict(by_epoch=False, interval=2))
    fill_disk_when_writing(monkeypatch, 'iter_4')
    with pytest.raises(NoSpaceError) as info:
        runner.run([make_loader()], [('train', 1)])
    message = str(info.value)
    assert '\n' not in message and len(message) < 400, message
    assert f'cannot write checkpoint {tmp_path / "iter_4.pth"}: no space left on device' in message
    assert 'stopped after iteration 4' in message and 'iter_2.pth (latest.pth points at it)' in message
    assert osp.realpath(tmp_path / 'latest.pth') == str(tmp_path / 'iter_2.pth')
    assert _load_checkpoint(str(tmp_path / 'latest.pth'))['meta']['iter'] == 2
    assert not glob.glob(str(tmp_path / '.*.tmp')) and not osp.exists(tmp_path / 'iter_4.pth')


def test_json_log_on_a_full_disk_names_the_file(tmp_path, monkeypatch):
    runner = make_runner(tmp_path, max_iters=4)
    runner.register_training_hooks(None, dict(), None, dict(interval=2, hooks=[dict(type='TextLoggerHook')]))
    real_open = open

    def open_full(path, mode='r', *args, **kwargs):
        if str(path).endswith('.log.json') and 'a' in mode:
            return io.TextIOWrapper(FullFile())
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(text_logger, 'open', open_full, raising=False)
    with pytest.raises(NoSpaceError, match=r'cannot write the JSON log .*\.log\.json: no space left on device \('):
        runner.run([make_loader()], [('train', 1)])
