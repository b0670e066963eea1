"""``AmpOptimizerHook(dtype='auto')``: train in bf16 autocast where this machine runs it faster, else float32.

On CUDA, bf16 where the device supports it (tensor cores; no loss scaling needed). On a CPU, bf16 is only
considered when the CPU computes it natively (AMX-BF16 or AVX512-BF16 in /proc/cpuinfo); elsewhere it is
emulated and slower. With native support the choice is measured, not assumed: the first training batch
runs forward + backward a few times in float32 and in bf16 (alternating, medians), and bf16 is taken when
it is at least ``min_speedup`` faster. The probe restores the RNG states, BatchNorm buffers and gradients,
so training continues as if it had not run. The choice and its reason are logged.
"""
import contextlib
import statistics
import time
from typing import Callable, Dict, Optional, Tuple

import torch

from mmcv.checkpoint import get_rng_state, set_rng_state

BF16_CPU_FLAGS = ('amx_bf16', 'avx512_bf16')


def cpu_flags(path: str = '/proc/cpuinfo') -> frozenset:
    """The CPU's feature flags (empty where /proc/cpuinfo cannot be read, e.g. not Linux)."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith('flags'):
                    return frozenset(line.split(':', 1)[1].split())
    except OSError:
        pass
    return frozenset()


def native_bf16(device_type: str, flags: Optional[frozenset] = None) -> Tuple[bool, str]:
    """(whether bf16 runs natively on ``device_type``, why)."""
    if device_type == 'cuda':
        ok = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
        return ok, 'the CUDA device supports bf16' if ok else 'the CUDA device has no bf16 support'
    if device_type != 'cpu':
        return False, f'no bf16 rule for {device_type} devices'
    flags = cpu_flags() if flags is None else flags
    found = [flag for flag in BF16_CPU_FLAGS if flag in flags]
    if found:
        return True, f'the CPU has {"/".join(found)}'
    return False, f'the CPU has neither {" nor ".join(BF16_CPU_FLAGS)} (bf16 would be emulated)'


def _median_times(steps: Dict[str, Callable[[], None]], reps: int) -> Dict[str, float]:
    for step in steps.values():  # warm-up: first-call allocations and oneDNN kernel choice
        step()
    times: Dict[str, list] = {name: [] for name in steps}
    for _ in range(reps):  # alternating, so a slow spell of the machine hits both
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def probe_train_step(model: torch.nn.Module, data_batch, optimizer, device_type: str,
                     reps: int = 3) -> Dict[str, float]:
    """Median seconds of ``model.train_step(data_batch)`` + backward in float32 ('fp32') and bf16 ('bf16').

    Leaves no trace: RNG states, buffers (BatchNorm statistics) and gradients are as before.
    """
    rng = get_rng_state()
    buffers = {name: buf.detach().clone() for name, buf in model.named_buffers()}

    def step(autocast: bool) -> Callable[[], None]:
        def run() -> None:
            context = (torch.autocast(device_type, dtype=torch.bfloat16, cache_enabled=False) if autocast
                       else contextlib.nullcontext())
            with context:
                loss = model.train_step(data_batch, optimizer)['loss']
            loss.backward()
            if device_type == 'cuda':
                torch.cuda.synchronize()
        return run

    try:
        return _median_times({'fp32': step(False), 'bf16': step(True)}, reps)
    finally:
        with torch.no_grad():
            for name, buf in model.named_buffers():
                buf.copy_(buffers[name])
        for param in model.parameters():
            param.grad = None
        set_rng_state(rng)


def choose_autocast(model: torch.nn.Module, data_batch, optimizer, device_type: str, min_speedup: float = 1.1,
                    reps: int = 3, flags: Optional[frozenset] = None) -> Tuple[Optional[torch.dtype], str]:
    """(torch.bfloat16 or None for float32, the reason in words)."""
    native, why = native_bf16(device_type, flags)
    if not native:
        return None, f'float32: {why}'
    if device_type == 'cuda':
        return torch.bfloat16, f'bf16 autocast: {why}'
    times = probe_train_step(model, data_batch, optimizer, device_type, reps)
    speedup = times['fp32'] / times['bf16']
    measured = (f'{why}; the first batch took {times["fp32"] * 1e3:.0f} ms in float32 and {times["bf16"] * 1e3:.0f} '
                f'ms in bf16 (forward + backward, median of {reps})')
    if speedup >= min_speedup:
        return torch.bfloat16, f'bf16 autocast, {speedup:.2f}x faster: {measured}'
    return None, f'float32, bf16 is not {min_speedup:.2f}x faster ({speedup:.2f}x): {measured}'
