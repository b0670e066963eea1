"""Distributed helpers: start the process group from a launcher's environment, and gather results.

Every helper also works in a plain single process (no process group): rank 0 of a world of 1.
"""
import contextlib
import functools
import gc
import itertools
import os
import os.path as osp
import re
import shutil
import subprocess
import tempfile
from typing import Any, Callable, List, Optional, Tuple

import numpy as np
import torch
import torch.distributed as dist

from mmcv.fileio import dump, load, mkdir_or_exist

LAUNCHERS = ('pytorch', 'slurm', 'mpi')
DEFAULT_PORT = '29500'
DEFAULT_TMPDIR = '.dist_test'
# where srun puts the hosts of the job step (first: the step's own list)
SLURM_NODELIST_VARS = ('SLURM_STEP_NODELIST', 'SLURM_NODELIST', 'SLURM_JOB_NODELIST')


def init_dist(launcher: str, backend: Optional[str] = None, **kwargs: Any) -> None:
    """Join the process group described by the environment of ``launcher``.

    Args:
        launcher: 'pytorch' (torchrun), 'slurm' (srun) or 'mpi' (mpirun).
        backend: 'nccl' or 'gloo'; by default nccl when CUDA is available, else gloo (also instead of
            an explicit 'nccl' on a machine without CUDA).
        kwargs: 'port' for slurm; the rest goes to ``torch.distributed.init_process_group``.
    """
    if launcher not in LAUNCHERS:
        raise ValueError(f'unknown launcher {launcher!r}; valid launchers are {", ".join(LAUNCHERS)}')
    if is_distributed():
        raise RuntimeError('init_dist was called twice: the process group is already initialised')
    if backend is None or (backend == 'nccl' and not torch.cuda.is_available()):
        backend = 'nccl' if torch.cuda.is_available() else 'gloo'  # configs say nccl; CPU-only nodes need gloo
    if launcher == 'pytorch':
        local_rank = _env_from_torchrun()
    elif launcher == 'slurm':
        local_rank = _env_from_slurm(kwargs.pop('port', None))
    else:
        local_rank = _env_from_mpi()
    if torch.cuda.is_available():  # modulo: slurm may bind one GPU per task, so that each sees device 0 only
        torch.cuda.set_device(local_rank % torch.cuda.device_count())
    dist.init_process_group(backend=backend, **kwargs)


def _require_env(names: Tuple[str, ...], launcher: str, hint: str) -> None:
    missing = [name for name in names if name not in os.environ]
    if missing:
        raise RuntimeError(f"init_dist('{launcher}') needs the environment variables {', '.join(missing)}, "
                           f'which are not set; {hint}')


def _env_from_torchrun() -> int:
    _require_env(('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'), 'pytorch',
                 'run under torchrun (e.g. ./train_dist.sh CONFIG GPUS), or use --launcher none')
    return int(os.environ.get('LOCAL_RANK', os.environ['RANK']))


def _env_from_slurm(port: Optional[int]) -> int:
    """Translate srun's environment into torch's; returns the local rank (SLURM_LOCALID).

    MASTER_ADDR: kept if set, else the first host of the step's node list. MASTER_PORT: ``port``, else
    MASTER_PORT, else PORT, else 29500 + SLURM_JOB_ID % 1000 (two jobs sharing a node then rarely collide).
    """
    _require_env(('SLURM_PROCID', 'SLURM_NTASKS'), 'slurm', 'start the job with srun (e.g. tools/slurm_train.sh)')
    rank = int(os.environ['SLURM_PROCID'])
    num_gpus = max(torch.cuda.device_count(), 1)
    local_rank = int(os.environ.get('SLURM_LOCALID', rank % num_gpus))
    os.environ['MASTER_PORT'] = str(_slurm_port(port))
    if 'MASTER_ADDR' not in os.environ:
        node_list = next((os.environ[k] for k in SLURM_NODELIST_VARS if os.environ.get(k)), None)
        if node_list is None:
            raise RuntimeError(f"init_dist('slurm') needs MASTER_ADDR or one of {', '.join(SLURM_NODELIST_VARS)} "
                               'to find the host of rank 0; none is set')
        os.environ['MASTER_ADDR'] = first_slurm_host(node_list)
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['LOCAL_RANK'] = str(local_rank)
    os.environ['RANK'] = str(rank)
    return local_rank


def _slurm_port(port: Optional[int]) -> int:
    """The rendezvous port of a slurm job (see :func:`_env_from_slurm`), checked to be a valid port."""
    for source, value in (('the port argument', port), ('MASTER_PORT', os.environ.get('MASTER_PORT')),
                          ('PORT', os.environ.get('PORT'))):
        if value is not None and str(value) != '':
            if not str(value).isdigit() or not 0 < int(value) < 65536:
                raise ValueError(f'{source} must be a port number in 1..65535, got {value!r}')
            return int(value)
    job_id = os.environ.get('SLURM_JOB_ID', '')
    return int(DEFAULT_PORT) + (int(job_id) % 1000 if job_id.isdigit() else 0)


def expand_slurm_nodelist(node_list: str) -> List[str]:
    """Host names of a slurm node list: ``'gpu[01-03,07],login1'`` -> gpu01 gpu02 gpu03 gpu07 login1.

    Ranges keep their zero padding; several bracket groups in one name expand to all combinations
    (``'r[1-2]n[1-2]'`` -> r1n1 r1n2 r2n1 r2n2). Raises ValueError on syntax it does not know.
    """
    hosts: List[str] = []
    for name in _split_top_level(node_list):
        parts = re.split(r'(\[[^\[\]]*\])', name)
        choices = [[part] if not part.startswith('[') else _expand_brackets(part[1:-1], node_list) for part in parts]
        if any('[' in part or ']' in part for part in parts if not part.startswith('[')):
            raise ValueError(f'unbalanced brackets in slurm node list {node_list!r}')
        hosts.extend(''.join(combo) for combo in itertools.product(*choices))
    if not hosts:
        raise ValueError(f'slurm node list {node_list!r} names no host')
    return hosts


def _split_top_level(node_list: str) -> List[str]:
    """Split at the commas outside brackets."""
    names, depth, current = [], 0, ''
    for char in node_list.strip():
        depth += (char == '[') - (char == ']')
        if char == ',' and depth == 0:
            names.append(current)
            current = ''
        else:
            current += char
    names.append(current)
    if any(not name for name in names):
        raise ValueError(f'empty host name in slurm node list {node_list!r}')
    return names


def _expand_brackets(body: str, node_list: str) -> List[str]:
    """``'01-03,7'`` -> 01 02 03 7."""
    values = []
    for item in body.split(','):
        match = re.fullmatch(r'(\d+)(?:-(\d+))?', item.strip())
        if match is None:
            raise ValueError(f'cannot read [{body}] in slurm node list {node_list!r}: expected numbers and '
                             'ranges like [01-04,07]')
        first, last = match.group(1), match.group(2) or match.group(1)
        if int(last) < int(first):
            raise ValueError(f'descending range {item!r} in slurm node list {node_list!r}')
        values.extend(str(i).zfill(len(first)) for i in range(int(first), int(last) + 1))
    return values


def first_slurm_host(node_list: str) -> str:
    """The first host of a slurm node list, from ``scontrol show hostnames`` where scontrol is installed.

    Without scontrol (jobs in containers often lack the slurm binaries), or when it fails, the list is
    parsed here (:func:`expand_slurm_nodelist`).
    """
    scontrol_error = 'scontrol is not on PATH'
    if shutil.which('scontrol'):
        try:
            out = subprocess.run(['scontrol', 'show', 'hostnames', node_list], capture_output=True,
                                 text=True, check=True, timeout=60).stdout
            if out.split():
                return out.split()[0]
            scontrol_error = f'"scontrol show hostnames {node_list}" printed no host name'
        except (OSError, subprocess.SubprocessError) as e:
            scontrol_error = f'"scontrol show hostnames {node_list}" failed: {e}'
    try:
        return expand_slurm_nodelist(node_list)[0]
    except ValueError as e:
        raise RuntimeError(f'{e} ({scontrol_error}); set MASTER_ADDR to the host of rank 0') from e


def _env_from_mpi() -> int:
    _require_env(('OMPI_COMM_WORLD_RANK', 'OMPI_COMM_WORLD_SIZE', 'OMPI_COMM_WORLD_LOCAL_RANK', 'MASTER_ADDR'),
                 'mpi', 'start the job with OpenMPI mpirun and export MASTER_ADDR (the first host)')
    os.environ.setdefault('MASTER_PORT', DEFAULT_PORT)
    os.environ['WORLD_SIZE'] = os.environ['OMPI_COMM_WORLD_SIZE']
    os.environ['RANK'] = os.environ['OMPI_COMM_WORLD_RANK']
    os.environ['LOCAL_RANK'] = os.environ['OMPI_COMM_WORLD_LOCAL_RANK']
    return int(os.environ['LOCAL_RANK'])


def is_distributed() -> bool:
    """Whether a process group is initialised (``init_dist`` was called)."""
    return dist.is_available() and dist.is_initialized()


def get_dist_info() -> Tuple[int, int]:
    """(rank, world_size) of this process; (0, 1) without a process group."""
    if is_distributed():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def master_only(func: Callable) -> Callable:
    """Run ``func`` on rank 0 only; other ranks get None."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        rank, _ = get_dist_info()
        if rank == 0:
            return func(*args, **kwargs)
        return None

    return wrapper


def barrier() -> None:
    """Wait for all ranks; nothing to wait for without a process group."""
    if is_distributed():
        dist.barrier()


def close_dist() -> None:
    """Leave the process group cleanly: free dead wrappers, wait for all ranks, then destroy the group.

    A DistributedDataParallel object that survives into interpreter shutdown can be torn down after
    its process group, and the C++ side then aborts the process (SIGABRT, "terminate called without
    an active exception"), which fails the launcher even though the work finished. Callers drop
    their references to wrapped models first; ``gc.collect`` frees the reference cycles DDP keeps.
    Nothing happens without a process group.
    """
    if not is_distributed():
        return
    gc.collect()
    dist.barrier()
    dist.destroy_process_group()


def all_reduce_mean(tensor: torch.Tensor) -> torch.Tensor:
    """Replace ``tensor`` (floating point) in place by its mean over ranks and return it."""
    _, world_size = get_dist_info()
    if world_size == 1:
        return tensor
    if not tensor.is_floating_point():
        raise TypeError(f'all_reduce_mean needs a floating point tensor, got {tensor.dtype}')
    dist.all_reduce(tensor.div_(world_size))
    return tensor


def sync_random_seed(seed: Optional[int] = None, device: str = 'cpu') -> int:
    """Return one seed shared by all ranks: ``seed``, or one drawn on rank 0 when it is None.

    Samplers need the same seed on every rank so that their shuffles agree. ``device`` is where the
    broadcast tensor lives; with the nccl backend it must be a CUDA device, so cuda is used there.
    """
    if seed is None:
        seed = int(np.random.randint(2**31))
    if not isinstance(seed, int):
        raise TypeError(f'seed must be an int or None, got {type(seed).__name__}: {seed!r}')
    rank, world_size = get_dist_info()
    if world_size == 1:
        return seed
    if dist.get_backend() == 'nccl':
        device = 'cuda'
    value = torch.tensor(seed if rank == 0 else 0, dtype=torch.int64, device=device)
    dist.broadcast(value, src=0)
    return int(value.item())


def _broadcast_from_master(obj: Any) -> Any:
    """Send ``obj`` of rank 0 to all ranks."""
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def _interleave(parts: List[list], size: int) -> list:
    """Undo DistributedSampler's split (rank r got samples r, r+W, r+2W, ...) and drop its padding."""
    ordered = []
    for i in range(max(len(part) for part in parts)):
        ordered.extend(part[i] for part in parts if i < len(part))
    return ordered[:size]


def collect_results_cpu(result_part: list, size: int, tmpdir: Optional[str] = None) -> Optional[list]:
    """Gather each rank's results on rank 0 through files in a shared folder.

    Args:
        result_part: this rank's results, in the order of its DistributedSampler indices.
        size: length of the dataset (the padding the sampler added is dropped).
        tmpdir: folder visible to all ranks (all nodes); a fresh sub-folder is made in it and removed
            afterwards. Default: ``.dist_test`` in the working directory.

    Returns:
        The results in dataset order on rank 0, None on other ranks.
    """
    rank, world_size = get_dist_info()
    if world_size == 1:
        return list(result_part)[:size]
    base = DEFAULT_TMPDIR if tmpdir is None else tmpdir
    part_dir = None
    if rank == 0:
        mkdir_or_exist(base)
        part_dir = tempfile.mkdtemp(dir=base, prefix='collect_')
    part_dir = _broadcast_from_master(part_dir)
    dump(result_part, osp.join(part_dir, f'part_{rank}.pkl'))
    dist.barrier()
    if rank != 0:
        return None
    parts = [load(osp.join(part_dir, f'part_{i}.pkl')) for i in range(world_size)]
    shutil.rmtree(part_dir)
    if tmpdir is None:
        with contextlib.suppress(OSError):  # keep the default folder while another job still uses it
            os.rmdir(base)
    return _interleave(parts, size)


def collect_results_gpu(result_part: list, size: int) -> Optional[list]:
    """Gather each rank's results on rank 0 through the process group (``all_gather_object``).

    Same arguments and return value as :func:`collect_results_cpu`, without a shared folder.
    """
    rank, world_size = get_dist_info()
    if world_size == 1:
        return list(result_part)[:size]
    parts: List[Any] = [None] * world_size
    dist.all_gather_object(parts, list(result_part))
    if rank != 0:
        return None
    return _interleave(parts, size)
