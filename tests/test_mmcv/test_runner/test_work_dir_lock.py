"""One run per work dir: the lock names its owner, a dead owner's lock is taken over, another host's is kept."""
import json
import os
import os.path as osp
import signal
import socket
import subprocess
import sys

import pytest

from mmcv.runner.work_dir_lock import LOCK_NAME, WorkDirLock, WorkDirLocked

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
HOLDER = """
import sys
from mmcv.runner.work_dir_lock import WorkDirLock
WorkDirLock(sys.argv[1]).acquire()
print('locked', flush=True)
sys.stdin.read()
"""


def _write_lock(work_dir, **record):
    (work_dir / LOCK_NAME).write_text(json.dumps(record))


def test_a_live_run_keeps_the_work_dir_and_a_killed_one_leaves_a_stale_lock(tmp_path, caplog):
    holder = subprocess.Popen([sys.executable, '-c', HOLDER, str(tmp_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=ROOT))
    try:
        assert holder.stdout.readline().strip() == 'locked'
        with pytest.raises(WorkDirLocked, match=rf'in use by another training run: pid {holder.pid} on this host'):
            WorkDirLock(str(tmp_path)).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)  # what a crash or `kill -9` does: no clean-up runs
        holder.wait()
    assert osp.isfile(tmp_path / LOCK_NAME)
    with caplog.at_level('WARNING', logger='mmcv'):
        lock = WorkDirLock(str(tmp_path)).acquire()
    assert f'process {holder.pid} is gone' in caplog.text
    assert json.loads((tmp_path / LOCK_NAME).read_text())['pid'] == os.getpid()
    lock.release()
    assert not osp.exists(tmp_path / LOCK_NAME)


def test_a_lock_of_another_host_is_refused_with_how_to_remove_it(tmp_path):
    _write_lock(tmp_path, pid=1234, host='node-7-of-the-cluster', started='2026-12-01 10:00:00',
                argv=['tools/train.py', 'cfg.py'])
    with pytest.raises(WorkDirLocked) as info:
        WorkDirLock(str(tmp_path)).acquire()
    message = str(info.value)
    assert 'pid 1234 on host node-7-of-the-cluster' in message and 'tools/train.py cfg.py' in message
    assert f'remove {tmp_path / LOCK_NAME}' in message


def test_a_reused_pid_is_not_the_owner(tmp_path):
    """The pid runs, but a process started at another time: the lock's run is gone."""
    _write_lock(tmp_path, pid=os.getppid(), host=socket.gethostname(), start='1')
    with WorkDirLock(str(tmp_path)):
        assert json.loads((tmp_path / LOCK_NAME).read_text())['pid'] == os.getpid()
    assert not osp.exists(tmp_path / LOCK_NAME)


def test_release_leaves_a_lock_that_is_not_ours(tmp_path):
    lock = WorkDirLock(str(tmp_path)).acquire()
    _write_lock(tmp_path, pid=1, host='elsewhere')  # someone replaced it by hand
    lock.release()
    assert osp.isfile(tmp_path / LOCK_NAME)
