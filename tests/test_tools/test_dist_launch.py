"""train_dist.sh / test_dist.sh and tools/dist_{train,test}.sh (one launcher behind all four): two gloo processes
on a CPU machine, rank-0-only outputs, clean failures, NNODES/NODE_RANK/MASTER_ADDR/PORT handed to torchrun."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
from launch_helpers import ROOT, SHORT_RUN, free_port, run_script

from mmcv.fileio import load

TRAIN_SCRIPTS = ['train_dist.sh', 'tools/dist_train.sh']
TEST_SCRIPTS = ['test_dist.sh', 'tools/dist_test.sh']


def launch(script: str, *args: str, cwd, **env_vars: str) -> subprocess.CompletedProcess:
    """Run ``bash <script> args`` on a free port; kill its whole process group if it outlives the timeout."""
    env = {**os.environ, 'PORT': str(free_port()), 'OMP_NUM_THREADS': '1', 'PYTHON': sys.executable, **env_vars}
    return run_script(script, args, cwd, env)


@pytest.mark.parametrize('script, fixed_args', [(name, ['cfg.py']) for name in TRAIN_SCRIPTS]
                         + [(name, ['cfg.py', 'ckpt.pth']) for name in TEST_SCRIPTS])
@pytest.mark.parametrize('gpus', ['0', 'abc', '-1'])
def test_bad_process_count_is_a_clear_error(script, fixed_args, gpus, tmp_path):
    result = launch(script, *fixed_args, gpus, cwd=tmp_path)
    assert result.returncode == 2
    assert f"GPUS must be a positive integer, got '{gpus}'" in result.stderr


@pytest.mark.parametrize('script', TRAIN_SCRIPTS + TEST_SCRIPTS)
def test_missing_arguments_print_usage(script, tmp_path):
    result = launch(script, 'cfg.py', cwd=tmp_path)
    assert result.returncode == 2
    assert f'usage: bash {script}' in result.stderr


FAKE_PYTHON = """#!/usr/bin/env bash
# stands in for python: answers the launcher's GPU count, records the torchrun command line
if [ "$1" = -c ]; then echo "$FAKE_GPUS"; exit 0; fi
printf '%s\\n' "$@" > "$FAKE_ARGV"
"""


@pytest.mark.parametrize('script, positional', [('train_dist.sh', ['cfg.py']), ('tools/dist_train.sh', ['cfg.py']),
                                                ('test_dist.sh', ['cfg.py', 'ckpt.pth']),
                                                ('tools/dist_test.sh', ['cfg.py', 'ckpt.pth'])])
@pytest.mark.parametrize('gpus_on_machine', ['0', '8'])
def test_multi_node_environment_reaches_torchrun(script, positional, gpus_on_machine, tmp_path):
    fake_python, argv_file = tmp_path / 'python', tmp_path / 'argv.txt'
    fake_python.write_text(FAKE_PYTHON)
    fake_python.chmod(0o755)
    result = launch(script, *positional, '4', '--work-dir', 'w d', cwd=tmp_path, PYTHON=str(fake_python),
                    FAKE_GPUS=gpus_on_machine, FAKE_ARGV=str(argv_file), NNODES='2', NODE_RANK='1',
                    MASTER_ADDR='10.1.2.3', PORT='23456')
    assert result.returncode == 0, result.stderr
    tool = 'train.py' if 'train' in script else 'test.py'
    expected = ['-m', 'torch.distributed.run', '--nnodes=2', '--node_rank=1', '--master_addr=10.1.2.3',
                '--nproc_per_node=4', '--master_port=23456', osp.join(ROOT, 'tools', tool), *positional,
                '--work-dir', 'w d', '--launcher', 'pytorch']
    if gpus_on_machine == '0':
        expected += ['--dist_backend', 'gloo']
    assert argv_file.read_text().splitlines() == expected


def test_more_gpus_than_the_machine_has_is_an_error(tmp_path):
    fake_python = tmp_path / 'python'
    fake_python.write_text(FAKE_PYTHON)
    fake_python.chmod(0o755)
    result = launch('tools/dist_train.sh', 'cfg.py', '4', cwd=tmp_path, PYTHON=str(fake_python), FAKE_GPUS='2',
                    FAKE_ARGV=str(tmp_path / 'argv.txt'))
    assert result.returncode == 2
    assert 'asked for 4 GPUs but this machine has 2' in result.stderr
    assert not (tmp_path / 'argv.txt').exists()


@pytest.mark.slow
def test_two_cpu_ranks_train_and_only_rank0_writes(tiny_config, tmp_path):
    work_dir = tmp_path / 'work'
    result = launch('train_dist.sh', tiny_config, '2', '--work-dir', str(work_dir), '--cfg-options', *SHORT_RUN,
                    cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'starting 2 CPU processes with the gloo backend' in result.stderr
    logs, json_logs = glob.glob(str(work_dir / '*.log')), glob.glob(str(work_dir / '*.log.json'))
    assert len(logs) == 1 and len(json_logs) == 1, (logs, json_logs)
    text = open(logs[0]).read()
    assert 'Distributed training: True' in text
    assert 'gpu_ids = range(0, 2)' in text  # the process group held both ranks
    records = [json.loads(line) for line in open(json_logs[0])]
    assert [r['iter'] for r in records if r.get('mode') == 'train'] == [1, 2]
    assert [r['mDice'] for r in records if r.get('mode') == 'val'], 'the distributed evaluation ran'
    assert sorted(p.name for p in work_dir.glob('*.pth')) == ['best_mDice_iter_2.pth', 'iter_2.pth', 'latest.pth']


@pytest.mark.slow
def test_one_failing_rank_ends_the_job(tiny_config, tmp_path):
    config = tmp_path / 'rank1_fails.py'
    config.write_text(
        'import os\n'
        f'_base_ = {tiny_config!r}\n'
        '# rank 1 reads a missing folder and dies; rank 0 goes on and waits for it in a collective\n'
        "data = dict(train=dict(dataset=dict(img_dir='images/training' if os.environ['RANK'] == '0' else 'nope')))\n")
    work_dir = tmp_path / 'work'
    result = launch('train_dist.sh', str(config), '2', '--work-dir', str(work_dir), '--cfg-options', *SHORT_RUN,
                    cwd=tmp_path)
    assert result.returncode != 0
    assert '[rank1]' in result.stderr and 'nope' in result.stderr
    assert not list(work_dir.glob('*.pth'))


@pytest.mark.slow
def test_dist_test_matches_single_process(load_tool, cli_state, tiny_config, tiny_checkpoint, tmp_path):
    single_dir, dist_dir = tmp_path / 'single', tmp_path / 'dist'
    load_tool('test').main([tiny_config, tiny_checkpoint, '--eval', 'mDice', '--work-dir', str(single_dir)])
    out = dist_dir / 'results.pkl'  # --out keeps whole results (with probabilities) that the ranks exchange as files
    result = launch('tools/dist_test.sh', tiny_config, tiny_checkpoint, '2', '--eval', 'mDice', '--out', str(out),
                    '--work-dir', str(dist_dir), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    (single_json,), (dist_json,) = single_dir.glob('eval_*.json'), dist_dir.glob('eval_*.json')
    single, dist = load(str(single_json))['metric'], load(str(dist_json))['metric']
    assert dist.keys() == single.keys() and 'mDice' in dist and 'fov.AUC' in dist
    for key, value in single.items():
        assert dist[key] == pytest.approx(value, abs=1e-6), key
    assert [pred.ndim for pred in load(str(out))] == [2, 2]  # label maps, as without a process group
