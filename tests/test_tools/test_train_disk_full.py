"""tools/train.py on a full disk: one error line naming the checkpoint, exit 1, latest.pth intact."""
import contextlib
import errno
import os
import os.path as osp

import pytest

import mmcv.checkpoint

pytestmark = pytest.mark.usefixtures('cli_state')


class _Full:
    def write(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_train_stops_with_one_line_when_the_disk_fills(load_tool, tiny_config, tmp_path, monkeypatch, capsys):
    real = mmcv.checkpoint.atomic_write

    @contextlib.contextmanager
    def atomic_write(path, mode='w', **kwargs):
        with real(path, mode, **kwargs) as f:
            yield _Full() if osp.basename(path) == 'iter_4.pth' else f

    monkeypatch.setattr(mmcv.checkpoint, 'atomic_write', atomic_write)
    work_dir = tmp_path / 'work'
    with pytest.raises(SystemExit) as info:
        load_tool('train').run_cli([tiny_config, '--work-dir', str(work_dir), '--no-validate', '--cfg-options',
                                    'runner.max_iters=4', 'checkpoint_config.interval=2', 'log_config.interval=1'])
    assert info.value.code == 1
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith('error:')]
    assert len(lines) == 1 and 'Traceback' not in lines[0], lines
    assert f'cannot write checkpoint {work_dir / "iter_4.pth"}: no space left on device' in lines[0]
    assert osp.realpath(work_dir / 'latest.pth') == str(work_dir / 'iter_2.pth')
