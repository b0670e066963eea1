"""tools/train.py locks its work dir: a second run into it exits 1 naming the first; the lock goes at the end."""
import json
import os
import os.path as osp
import socket

import pytest

from mmcv.runner.work_dir_lock import LOCK_NAME

pytestmark = pytest.mark.usefixtures('cli_state')


def test_a_second_run_into_a_busy_work_dir_is_refused(load_tool, tiny_config, tmp_path, capsys):
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    owner = dict(pid=os.getppid(), host=socket.gethostname(), started='2026-12-07 09:00:00',
                 argv=['tools/train.py', 'first.py'])
    (work_dir / LOCK_NAME).write_text(json.dumps(owner))
    with pytest.raises(SystemExit) as info:
        load_tool('train').run_cli([tiny_config, '--work-dir', str(work_dir), '--no-validate',
                                    '--cfg-options', 'runner.max_iters=1'])
    assert info.value.code == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith('error:')]
    assert len(err) == 1 and f'pid {os.getppid()} on this host' in err[0] and 'first.py' in err[0], err
    assert sorted(os.listdir(work_dir)) == [LOCK_NAME], 'the refused run wrote nothing'


def test_a_finished_run_leaves_no_lock(load_tool, tiny_config, tmp_path):
    work_dir = tmp_path / 'work'
    load_tool('train').main([tiny_config, '--work-dir', str(work_dir), '--no-validate',
                             '--cfg-options', 'runner.max_iters=1'])
    assert osp.isfile(work_dir / 'latest.pth') and not osp.exists(work_dir / LOCK_NAME)
