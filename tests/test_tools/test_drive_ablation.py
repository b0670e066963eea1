"""bench/drive_ablation.sh: trains each config once, then prints one table of their final validation metrics."""
import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(ROOT, 'bench', 'drive_ablation.sh')


def run(args, work_root):
    env = dict(os.environ, WORK_ROOT=str(work_root), PYTHON=sys.executable, OMP_NUM_THREADS='1')
    return subprocess.run(['bash', SCRIPT, *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.slow
def test_trains_once_and_tabulates(tiny_config, tmp_path):
    configs = []
    for name, lr in (('abl_a', 0.01), ('abl_b', 0.05)):
        path = tmp_path / f'{name}.py'
        path.write_text(f"_base_ = '{tiny_config}'\noptimizer = dict(lr={lr})\nrunner = dict(max_iters=4)\n"
                        "evaluation = dict(interval=4)\ncheckpoint_config = dict(interval=4)\n"
                        "log_config = dict(interval=2)\n")
        configs.append(str(path))
    work_root = tmp_path / 'runs'
    first = run(configs, work_root)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.count(': training (') == 2
    rows = {line.split()[0]: line.split()[1:] for line in first.stdout.splitlines() if line.startswith('abl_')}
    assert set(rows) == {'abl_a', 'abl_b'}
    for values in rows.values():
        mdice, vessel_dice, auc, f1, secs = values
        assert 0 < float(mdice) <= 100 and 0 <= float(vessel_dice) <= 100 and 0 <= float(auc) <= 100
        assert 0 <= float(f1) <= 100 and int(secs) >= 0
    assert (work_root / 'abl_a' / 'DONE').is_file()

    again = run(configs[:1], work_root)
    assert again.returncode == 0 and 'abl_a: already done' in again.stdout and ': training (' not in again.stdout


def test_missing_config_is_refused_before_any_training(tmp_path):
    result = run([str(tmp_path / 'nope.py')], tmp_path / 'runs')
    assert result.returncode == 2
    assert f'config {tmp_path / "nope.py"} does not exist' in result.stderr
    assert not (tmp_path / 'runs').exists()


@pytest.mark.slow
def test_failed_run_says_where_its_output_is(tiny_config, tmp_path):
    bad = tmp_path / 'abl_bad.py'
    bad.write_text(f"_base_ = '{tiny_config}'\nmodel = dict(decode_head=dict(channels=[8, 8]))\n"
                   "runner = dict(max_iters=2)\n")
    result = run([str(bad)], tmp_path / 'runs')
    assert result.returncode == 1
    assert 'abl_bad failed; see' in result.stderr and not (tmp_path / 'runs' / 'abl_bad' / 'DONE').exists()
