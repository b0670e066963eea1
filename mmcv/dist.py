"""Distributed helpers: start the process group from a launcher's environment, and gather results.

Every helper also works in a plain single process (no process group): rank 0 of a world of 1.
"""
import contextlib
import functools
import gc
import os
import os.path as osp
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


def init_dist(launcher: str, backend: Optional[str] = None, **kwargs: Any) -> None:
    """Join the process group described by the environment of ``launcher``.

    Args:
        launcher: 'pytorch' (torchrun), 'slurm' (srun) or 'mpi' (mpirun).
        backend: 'nccl' or 'gloo'; by default nccl when CUDA is available, else gloo.
        kwargs: 'port' for slurm; the rest goes to ``torch.distributed.init_process_group``.
    """
    if launcher not in LAUNCHERS:
        raise ValueError(f'unknown launcher {launcher!r}; valid launchers are {", ".join(LAUNCHERS)}')
    if is_distributed():
        raise RuntimeError('init_dist was called twice: the process group is already initialised')
    if backend is None:
        backend = 'nccl' if torch.cuda.is_available() else 'gloo'
    if launcher == 'pytorch':
        local_rank = _env_from_torchrun()
    elif launcher == 'slurm':
        local_rank = _env_from_slurm(kwargs.pop('port', None))
    else:
        local_rank = _env_from_mpi()
    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank)
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
    _require_env(('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST'), 'slurm', 'start the job with srun')
    rank = int(os.environ['SLURM_PROCID'])
    num_gpus = max(torch.cuda.device_count(), 1)
    local_rank = int(os.environ.get('SLURM_LOCALID', rank % num_gpus))
    if port is not None:
        os.environ['MASTER_PORT'] = str(port)
    os.environ.setdefault('MASTER_PORT', DEFAULT_PORT)
    if 'MASTER_ADDR' not in os.environ:
        os.environ['MASTER_ADDR'] = _first_slurm_host(os.environ['SLURM_NODELIST'])
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['LOCAL_RANK'] = str(local_rank)
    os.environ['RANK'] = str(rank)
    return local_rank


def _first_slurm_host(node_list: str) -> str:
    try:
        out = subprocess.run(['scontrol', 'show', 'hostnames', node_list], capture_output=True,
                             text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise RuntimeError(f'cannot expand SLURM_NODELIST={node_list!r} with "scontrol show hostnames": {e}; '
                           'set MASTER_ADDR yourself') from e
    hosts = out.split()
    if not hosts:
        raise RuntimeError(f'"scontrol show hostnames {node_list}" printed no host name; set MASTER_ADDR yourself')
    return hosts[0]


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
