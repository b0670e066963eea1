"""dist: single-process fallbacks, and real 2-process runs (gloo on localhost, started like torchrun)."""
import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from mmcv.dist import (all_reduce_mean, barrier, close_dist, collect_results_cpu, collect_results_gpu,
                       get_dist_info, init_dist, is_distributed, master_only, sync_random_seed)

REPO_ROOT = Path(__file__).resolve().parents[2]
LAUNCH_ENV = ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT')

# Run by each rank: what a test run of a model does with the helpers, with known inputs.
# 5 samples, 2 ranks: DistributedSampler pads to 6, rank 0 gets samples 0, 2, 4 and rank 1 gets 1, 3, 0.
TWO_RANKS = textwrap.dedent('''
    import json, os, sys
    import numpy as np
    import torch
    from mmcv.dist import (all_reduce_mean, barrier, close_dist, collect_results_cpu, collect_results_gpu,
                           get_dist_info, init_dist, is_distributed, master_only, sync_random_seed)

    from dataclasses import dataclass
    from mmcv.npz_tree import register_record

    @register_record('tests.Prediction')
    @dataclass
    class Prediction:  # a registered result type, like mmseg's SegResult
        label_map: np.ndarray
        prob: object = None

    init_dist('pytorch')
    rank, world_size = get_dist_info()
    indices = [0, 1, 2, 3, 4, 0][rank::world_size]
    part = [f'sample{i}' for i in indices]
    predictions = [Prediction(np.full((2, 3), i), None if i % 2 else np.full((2, 3), i / 10)) for i in indices]
    user_tmpdir = sys.argv[1]
    np.random.seed(rank)  # unsynchronised seeds would differ between ranks
    out = dict(rank=rank, world_size=world_size, distributed=is_distributed(),
               cpu_default=collect_results_cpu(part, 5),
               cpu_user=collect_results_cpu(part, 5, tmpdir=user_tmpdir),
               gpu=collect_results_gpu(part, 5),
               records=[None if r is None else [type(r).__name__, r.label_map.tolist(),
                                                None if r.prob is None else r.prob.tolist()]
                        for r in collect_results_cpu(predictions, 5) or [None]],
               seed=sync_random_seed(),
               given_seed=sync_random_seed(100 + rank),
               mean=all_reduce_mean(torch.tensor([float(rank)])).item(),
               master=master_only(lambda: 'ran')())
    barrier()
    out['default_tmpdir_left'] = os.path.exists('.dist_test')
    out['user_tmpdir'] = sorted(os.listdir(user_tmpdir))
    close_dist()
    out['closed'] = not is_distributed() and get_dist_info() == (0, 1)
    print(json.dumps(out))
''')

ONE_RANK = textwrap.dedent('''
    import json, os, sys
    from mmcv.dist import get_dist_info, init_dist
    init_dist(sys.argv[1], **json.loads(sys.argv[2]))
    print(json.dumps(dict(info=get_dist_info(), env={k: os.environ.get(k) for k in sys.argv[3:]})))
''')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def launch(script: str, args: list, envs: list, cwd: Path) -> list:
    """Start one process per env dict (like torchrun), wait, and return each one's printed JSON."""
    base_env = {k: v for k, v in os.environ.items() if k not in LAUNCH_ENV and not k.startswith(('SLURM_', 'OMPI_'))}
    base_env.update(PYTHONPATH=str(REPO_ROOT), OMP_NUM_THREADS='1', CUDA_VISIBLE_DEVICES='')
    procs = [subprocess.Popen([sys.executable, '-c', script, *args], cwd=cwd, env={**base_env, **env},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for env in envs]
    outputs = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, f'rank failed:\n{err}'
            outputs.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    return outputs


@pytest.fixture(scope='module')
def two_ranks(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('dist_run')
    user_tmpdir = workdir / 'user_tmp'
    user_tmpdir.mkdir()
    (user_tmpdir / 'keep.txt').write_text('not ours')
    port = str(free_port())
    envs = [dict(RANK=str(r), LOCAL_RANK=str(r), WORLD_SIZE='2', MASTER_ADDR='127.0.0.1', MASTER_PORT=port)
            for r in range(2)]
    return launch(TWO_RANKS, [str(user_tmpdir)], envs, workdir)


@pytest.mark.slow
def test_two_ranks_know_their_place(two_ranks):
    assert [(o['rank'], o['world_size'], o['distributed']) for o in two_ranks] == [(0, 2, True), (1, 2, True)]
    assert [o['master'] for o in two_ranks] == ['ran', None]
    assert [o['closed'] for o in two_ranks] == [True, True]


@pytest.mark.slow
def test_collect_results_restores_dataset_order_on_rank_0(two_ranks):
    expected = [f'sample{i}' for i in range(5)]
    for key in ('cpu_default', 'cpu_user', 'gpu'):
        assert two_ranks[0][key] == expected, key
        assert two_ranks[1][key] is None, key


@pytest.mark.slow
def test_collect_results_cpu_gathers_registered_result_records(two_ranks):
    expected = [['Prediction', [[i] * 3] * 2, None if i % 2 else [[i / 10] * 3] * 2] for i in range(5)]
    assert two_ranks[0]['records'] == expected
    assert two_ranks[1]['records'] == [None]


@pytest.mark.slow
def test_collect_results_cpu_cleans_up_only_its_own_files(two_ranks):
    assert not two_ranks[0]['default_tmpdir_left']
    assert two_ranks[0]['user_tmpdir'] == ['keep.txt']


@pytest.mark.slow
def test_sync_random_seed_agrees_across_ranks(two_ranks):
    assert two_ranks[0]['seed'] == two_ranks[1]['seed']
    assert [o['given_seed'] for o in two_ranks] == [100, 100]


@pytest.mark.slow
def test_all_reduce_mean_averages_over_ranks(two_ranks):
    assert [o['mean'] for o in two_ranks] == [0.5, 0.5]


@pytest.mark.slow
@pytest.mark.parametrize('launcher', ['mpi', 'slurm'])
def test_mpi_and_slurm_environments(launcher, tmp_path):
    port = free_port()
    if launcher == 'mpi':
        env = dict(OMPI_COMM_WORLD_RANK='0', OMPI_COMM_WORLD_SIZE='1', OMPI_COMM_WORLD_LOCAL_RANK='0',
                   MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
        kwargs = {}
    else:
        fake_bin = tmp_path / 'bin'
        fake_bin.mkdir()
        scontrol = fake_bin / 'scontrol'
        scontrol.write_text('#!/bin/sh\n[ "$1 $2 $3" = "show hostnames node[1-2]" ] && printf "127.0.0.1\\nnode2\\n"\n')
        scontrol.chmod(0o755)
        env = dict(SLURM_PROCID='0', SLURM_NTASKS='1', SLURM_NODELIST='node[1-2]',
                   PATH=f'{fake_bin}{os.pathsep}{os.environ["PATH"]}')
        kwargs = dict(port=port)
    [out] = launch(ONE_RANK, [launcher, json.dumps(kwargs), 'RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'],
                   [env], tmp_path)
    assert out['info'] == [0, 1]
    assert out['env'] == dict(RANK='0', WORLD_SIZE='1', MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))


def test_single_process_fallbacks():
    assert get_dist_info() == (0, 1) and not is_distributed()
    assert collect_results_cpu([1, 2, 3], 2) == [1, 2]
    assert collect_results_gpu([1, 2, 3], 3) == [1, 2, 3]
    assert sync_random_seed(7) == 7
    assert 0 <= sync_random_seed() < 2**31
    assert master_only(lambda x: x + 1)(1) == 2
    barrier()
    close_dist()
    tensor = torch.tensor([3.0])
    assert all_reduce_mean(tensor) is tensor and tensor.item() == 3.0


def test_sync_random_seed_rejects_non_int():
    with pytest.raises(TypeError, match='seed must be an int'):
        sync_random_seed(1.5)


def test_init_dist_errors(monkeypatch):
    with pytest.raises(ValueError, match="unknown launcher 'torchrun'; valid launchers are pytorch, slurm, mpi"):
        init_dist('torchrun')
    for name in LAUNCH_ENV:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match='RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT.*run under torchrun'):
        init_dist('pytorch')
    assert not is_distributed()
