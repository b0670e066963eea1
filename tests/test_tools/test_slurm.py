"""tools/slurm_{train,test}.sh end to end with stand-in srun/scontrol (2 CPU ranks, gloo), and init_dist('slurm')."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import textwrap

import pytest
from launch_helpers import ROOT, SHORT_RUN, free_port, run_script

from mmcv.dist import expand_slurm_nodelist
from mmcv.fileio import load

LAUNCH_ENV = ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT', 'PORT')

# Stands in for srun: reads the options slurm_launch.sh passes, records them, and starts --ntasks copies of
# the command with the variables a real job step has. --kill-on-bad-exit=1: one failing task ends the others.
FAKE_SRUN = textwrap.dedent('''\
    #!{python}
    import json, os, subprocess, sys, time
    argv, opts = sys.argv[1:], {{}}
    while argv and argv[0].startswith('-'):
        if argv[0] == '-p':
            opts['partition'], argv = argv[1], argv[2:]
        else:
            key, _, value = argv.pop(0).lstrip('-').partition('=')
            opts[key] = value
    with open(os.environ['FAKE_SRUN_LOG'], 'w') as f:
        json.dump(dict(options=opts, command=argv), f)
    ntasks, per_node = int(opts['ntasks']), int(opts['ntasks-per-node'])
    base = dict(os.environ, SLURM_NTASKS=str(ntasks), SLURM_JOB_ID='4242', SLURM_JOB_NAME=opts['job-name'],
                SLURM_NODELIST=os.environ.get('FAKE_NODELIST', 'localhost'))
    procs = [subprocess.Popen(argv, env=dict(base, SLURM_PROCID=str(r), SLURM_LOCALID=str(r % per_node)))
             for r in range(ntasks)]
    while any(p.poll() is None for p in procs):
        if opts.get('kill-on-bad-exit') == '1' and any(p.poll() not in (None, 0) for p in procs):
            for p in procs:
                if p.poll() is None:
                    p.kill()
        time.sleep(0.2)
    sys.exit(max(abs(p.returncode) for p in procs))
''')


@pytest.fixture
def fake_slurm(tmp_path):
    """A folder holding stand-in ``srun`` and ``scontrol`` (logging its calls, always answering 127.0.0.1)."""
    bin_dir = tmp_path / 'fake_bin'
    bin_dir.mkdir()
    (bin_dir / 'srun').write_text(FAKE_SRUN.format(python=sys.executable))
    (bin_dir / 'scontrol').write_text(f'#!/bin/sh\necho "$@" >> {tmp_path / "scontrol.log"}\necho 127.0.0.1\n')
    for name in ('srun', 'scontrol'):
        (bin_dir / name).chmod(0o755)
    return bin_dir


def launch(script: str, *args: str, cwd, bin_dir=None, **env_vars: str) -> subprocess.CompletedProcess:
    """Run ``bash tools/<script> args`` with ``bin_dir`` first on PATH; kill the process group on a hang."""
    env = {k: v for k, v in os.environ.items() if k not in LAUNCH_ENV and not k.startswith('SLURM_')}
    if bin_dir is not None:
        env['PATH'] = f'{bin_dir}{os.pathsep}{env["PATH"]}'
    env.update(OMP_NUM_THREADS='1', PYTHON=sys.executable, CUDA_VISIBLE_DEVICES='',
               FAKE_SRUN_LOG=str(cwd / 'srun.json'), **env_vars)
    return run_script(osp.join('tools', script), args, cwd, env)


@pytest.mark.slow
def test_slurm_train_runs_two_ranks_through_srun(fake_slurm, tiny_config, tmp_path):
    (fake_slurm / 'scontrol').unlink()  # a container without slurm binaries: the node list is parsed in python
    work_dir = tmp_path / 'work'
    result = launch('slurm_train.sh', 'cpu_part', 'unetpp_job', tiny_config, str(work_dir), '--seed', '0',
                    '--cfg-options', *SHORT_RUN, cwd=tmp_path, bin_dir=fake_slurm,
                    GPUS='2', GPUS_PER_NODE='2', CPUS_PER_TASK='1', SRUN_ARGS='--quotatype=auto --exclusive',
                    PORT=str(free_port()), FAKE_NODELIST='localhost,gpu-node[02-03]')
    assert result.returncode == 0, result.stderr[-3000:]
    srun = json.loads((tmp_path / 'srun.json').read_text())
    assert srun['options'] == {'partition': 'cpu_part', 'job-name': 'unetpp_job', 'gres': 'gpu:2', 'ntasks': '2',
                               'ntasks-per-node': '2', 'cpus-per-task': '1', 'kill-on-bad-exit': '1',
                               'quotatype': 'auto', 'exclusive': ''}
    assert srun['command'] == [sys.executable, '-u', osp.join(ROOT, 'tools', 'train.py'), tiny_config,
                               f'--work-dir={work_dir}', '--launcher', 'slurm', '--seed', '0', '--cfg-options',
                               *SHORT_RUN]
    (log,) = glob.glob(str(work_dir / '*.log'))
    text = open(log).read()
    assert 'Distributed training: True' in text and 'gpu_ids = range(0, 2)' in text
    (json_log,) = glob.glob(str(work_dir / '*.log.json'))
    records = [json.loads(line) for line in open(json_log)]
    assert [r['iter'] for r in records if r.get('mode') == 'train'] == [1, 2]
    assert sorted(p.name for p in work_dir.glob('*.pth')) == ['best_mDice_iter_2.pth', 'iter_2.pth', 'latest.pth']


@pytest.mark.slow
def test_slurm_test_evaluates_with_two_ranks(fake_slurm, load_tool, cli_state, tiny_config, tiny_checkpoint,
                                             tmp_path):
    single_dir, slurm_dir = tmp_path / 'single', tmp_path / 'slurm'
    load_tool('test').main([tiny_config, tiny_checkpoint, '--eval', 'mDice', '--work-dir', str(single_dir)])
    result = launch('slurm_test.sh', 'cpu_part', 'unetpp_eval', tiny_config, tiny_checkpoint, '--eval', 'mDice',
                    '--work-dir', str(slurm_dir), cwd=tmp_path, bin_dir=fake_slurm, GPUS='2', GPUS_PER_NODE='1',
                    MASTER_PORT=str(free_port()), FAKE_NODELIST='cn[07-08]')
    assert result.returncode == 0, result.stderr[-3000:]
    srun = json.loads((tmp_path / 'srun.json').read_text())
    assert srun['options'] == {'partition': 'cpu_part', 'job-name': 'unetpp_eval', 'gres': 'gpu:1', 'ntasks': '2',
                               'ntasks-per-node': '1', 'cpus-per-task': '5', 'kill-on-bad-exit': '1'}
    assert srun['command'][2:] == [osp.join(ROOT, 'tools', 'test.py'), tiny_config, tiny_checkpoint, '--launcher',
                                   'slurm', '--eval', 'mDice', '--work-dir', str(slurm_dir)]
    # cn07 does not resolve: rank 0's address came from scontrol, as on a real cluster
    assert (tmp_path / 'scontrol.log').read_text().splitlines() == ['show hostnames cn[07-08]'] * 2
    (single_json,), (slurm_json,) = single_dir.glob('eval_*.json'), slurm_dir.glob('eval_*.json')
    single, slurm = load(str(single_json))['metric'], load(str(slurm_json))['metric']
    assert slurm.keys() == single.keys() and 'mDice' in slurm
    for key, value in single.items():
        assert slurm[key] == pytest.approx(value, abs=1e-6), key


@pytest.mark.slow
def test_a_failing_task_ends_the_slurm_job(fake_slurm, tmp_path):
    result = launch('slurm_train.sh', 'p', 'j', str(tmp_path / 'missing.py'), cwd=tmp_path, bin_dir=fake_slurm,
                    GPUS='2', GPUS_PER_NODE='2', PORT=str(free_port()))
    assert result.returncode != 0
    assert 'missing.py' in result.stderr


@pytest.mark.parametrize('script, args', [('slurm_train.sh', ['p', 'j']), ('slurm_test.sh', ['p', 'j', 'cfg.py'])])
def test_missing_arguments_print_usage(script, args, tmp_path):
    result = launch(script, *args, cwd=tmp_path)
    assert result.returncode == 2
    assert f'usage: bash tools/{script} PARTITION JOB_NAME CONFIG' in result.stderr


@pytest.mark.parametrize('var', ['GPUS', 'GPUS_PER_NODE', 'CPUS_PER_TASK'])
def test_bad_task_counts_are_clear_errors(var, fake_slurm, tmp_path):
    result = launch('slurm_train.sh', 'p', 'j', 'cfg.py', cwd=tmp_path, bin_dir=fake_slurm, **{var: '0'})
    assert result.returncode == 2
    assert f"{var} must be a positive integer, got '0'" in result.stderr
    assert not (tmp_path / 'srun.json').exists()


def test_no_srun_is_a_clear_error(tmp_path):
    bin_dir = tmp_path / 'bin'  # PATH without srun: only the tools the script itself needs
    bin_dir.mkdir()
    for tool in ('dirname', 'bash'):
        os.symlink(subprocess.run(['which', tool], capture_output=True, text=True).stdout.strip(), bin_dir / tool)
    result = launch('slurm_train.sh', 'p', 'j', 'cfg.py', cwd=tmp_path, PATH=str(bin_dir))
    assert result.returncode == 127
    assert 'srun not found on PATH' in result.stderr


def test_options_after_config_go_to_train_py_as_in_mmseg(fake_slurm, tmp_path):
    """mmseg 0.x: `slurm_train.sh P J CONFIG --seed=0`; no WORK_DIR is made up from an option."""
    fake_srun_noop = fake_slurm / 'srun'
    fake_srun_noop.write_text(f'#!{sys.executable}\nimport json, os, sys\n'
                              "json.dump(sys.argv[1:], open(os.environ['FAKE_SRUN_LOG'], 'w'))\n")
    result = launch('slurm_train.sh', 'p', 'j', 'cfg.py', '--seed=0', cwd=tmp_path, bin_dir=fake_slurm)
    assert result.returncode == 0, result.stderr
    argv = json.loads((tmp_path / 'srun.json').read_text())
    assert argv[-4:] == ['cfg.py', '--launcher', 'slurm', '--seed=0']
    assert not any(a.startswith('--work-dir') for a in argv)


@pytest.mark.parametrize('node_list, hosts', [
    ('localhost', ['localhost']),
    ('node[01-04,07]', ['node01', 'node02', 'node03', 'node04', 'node07']),
    ('gpu[9-11],login1', ['gpu9', 'gpu10', 'gpu11', 'login1']),
    ('rack[1-2]-n[08-09]', ['rack1-n08', 'rack1-n09', 'rack2-n08', 'rack2-n09']),
    ('a-[001-002],b', ['a-001', 'a-002', 'b']),
])
def test_expand_slurm_nodelist(node_list, hosts):
    assert expand_slurm_nodelist(node_list) == hosts


@pytest.mark.parametrize('node_list, message', [('n[1-', 'unbalanced'), ('n[a-b]', r'cannot read \[a-b\]'),
                                                ('n[3-1]', 'descending range'), ('a,,b', 'empty host name')])
def test_expand_slurm_nodelist_rejects_bad_syntax(node_list, message):
    with pytest.raises(ValueError, match=message):
        expand_slurm_nodelist(node_list)


# One rank of init_dist('slurm') (world of 1): prints the variables torch reads and the backend it chose.
ONE_SLURM_RANK = textwrap.dedent('''
    import json, os, sys
    import torch.distributed as dist
    from mmcv.dist import close_dist, init_dist
    init_dist('slurm', **json.loads(sys.argv[1]))
    env = {k: os.environ[k] for k in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT')}
    print(json.dumps(dict(env=env, backend=dist.get_backend())))
    close_dist()
''')


def init_one_slurm_rank(tmp_path, kwargs: dict, **env_vars: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in LAUNCH_ENV and not k.startswith('SLURM_')}
    env.update(PYTHONPATH=ROOT, OMP_NUM_THREADS='1', CUDA_VISIBLE_DEVICES='', SLURM_PROCID='0', SLURM_NTASKS='1',
               SLURM_LOCALID='0', **env_vars)
    return subprocess.run([sys.executable, '-c', ONE_SLURM_RANK, json.dumps(kwargs)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.slow
def test_init_dist_slurm_parses_the_node_list_and_picks_gloo_on_cpu(tmp_path):
    port = free_port()
    # no scontrol on PATH here; the config's nccl must become gloo on this CPU-only process
    result = init_one_slurm_rank(tmp_path, dict(backend='nccl'), SLURM_NODELIST='localhost,node[02-04]',
                                 SLURM_JOB_ID='77', PORT=str(port))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.splitlines()[-1])
    assert out['backend'] == 'gloo'
    assert out['env'] == dict(RANK='0', WORLD_SIZE='1', LOCAL_RANK='0', MASTER_ADDR='localhost',
                              MASTER_PORT=str(port))


@pytest.fixture
def slurm_env(monkeypatch):
    """An in-process slurm rank 0 of 1 without launcher variables; init_dist's changes are undone afterwards."""
    for name in (*LAUNCH_ENV, 'SLURM_JOB_ID', 'SLURM_STEP_NODELIST', 'SLURM_NODELIST', 'SLURM_JOB_NODELIST'):
        monkeypatch.setenv(name, 'x')
        monkeypatch.delenv(name)
    monkeypatch.setenv('SLURM_PROCID', '0')
    monkeypatch.setenv('SLURM_NTASKS', '1')
    return monkeypatch


def test_slurm_port_precedence(slurm_env):
    from mmcv.dist import _slurm_port
    slurm_env.setenv('SLURM_JOB_ID', '123456')
    assert _slurm_port(None) == 29500 + 456  # two jobs sharing a node rarely collide
    slurm_env.setenv('PORT', '2000')
    assert _slurm_port(None) == 2000
    slurm_env.setenv('MASTER_PORT', '3000')
    assert _slurm_port(None) == 3000
    assert _slurm_port(4000) == 4000
    slurm_env.setenv('MASTER_PORT', 'http')
    with pytest.raises(ValueError, match="MASTER_PORT must be a port number in 1..65535, got 'http'"):
        _slurm_port(None)


def test_init_dist_slurm_without_a_usable_node_list_is_a_clear_error(slurm_env):
    from mmcv.dist import init_dist, is_distributed
    with pytest.raises(RuntimeError, match='needs MASTER_ADDR or one of SLURM_STEP_NODELIST, SLURM_NODELIST'):
        init_dist('slurm')
    slurm_env.setenv('SLURM_NODELIST', 'n[x]')
    slurm_env.setenv('PATH', '')  # no scontrol to ask either
    with pytest.raises(RuntimeError, match=r"cannot read \[x\] in slurm node list 'n\[x\]'.*set MASTER_ADDR"):
        init_dist('slurm')
    assert not is_distributed()
