"""Running the launcher scripts (train_dist.sh, tools/dist_*.sh, tools/slurm_*.sh) from tests."""
import os
import os.path as osp
import signal
import socket
import subprocess
from typing import Dict, Sequence

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
LAUNCH_TIMEOUT = 240  # seconds; a hung rank fails the test instead of the suite
# two iterations with a checkpoint and an evaluation at the end: what a launcher test trains
SHORT_RUN = ['runner.max_iters=2', 'checkpoint_config.interval=2', 'evaluation.interval=2',
             'log_config.interval=1']


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def run_script(script: str, args: Sequence[str], cwd, env: Dict[str, str]) -> subprocess.CompletedProcess:
    """``bash ROOT/<script> args`` in ``cwd`` with ``env``; its whole process group is killed (and the test
    failed) if it outlives LAUNCH_TIMEOUT."""
    proc = subprocess.Popen(['bash', osp.join(ROOT, script), *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=LAUNCH_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f'{script} {" ".join(args)} still running after {LAUNCH_TIMEOUT}s (a rank hangs?)')
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
