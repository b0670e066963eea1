"""The provenance record of a run: which code, software, machine, config, checkpoint and test set made a figure.

``provenance_record`` builds it; tools/train.py (the text log and the first line of the JSON log, through
``train_segmentor``) and tools/test.py (the eval JSON) both call it. Paths in it are portable: relative to the
project root when inside it, else relative to the work dir when inside that, else the file's base name; never
the absolute path of the machine that ran.
"""
import hashlib
import json
import os
import os.path as osp
import platform
import re
import subprocess
from typing import Any, Dict, List, Optional, Sequence

import torch

from mmcv.dist import get_dist_info
from mmcv.version import PROJECT_ROOT, RELEASE, git_state, version_of

SCHEMA = 1
CPU_FLAGS_OF_INTEREST = ('avx2', 'avx512f', 'avx512_vnni', 'avx512_bf16', 'amx_tile', 'amx_bf16', 'amx_int8')
HASH_CHUNK_BYTES = 1 << 20
CPUINFO = '/proc/cpuinfo'
# An absolute POSIX path inside a string: at its start or after a quote, blank, '=', ',' or bracket.
_ABSOLUTE_PATH = re.compile(r"""(?:(?<=^)|(?<=[\s'"=,(\[]))/[^\s'",)\]]+""")


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def portable_path(path: str, work_dir: Optional[str] = None, root: str = PROJECT_ROOT) -> str:
    """``path`` relative to ``root`` (the project), else to ``work_dir``, else its base name."""
    full = osp.normpath(osp.abspath(path))
    for folder in (root, work_dir):
        if folder and _inside(full, osp.normpath(osp.abspath(folder))):
            return osp.relpath(full, osp.abspath(folder))
    return osp.basename(full)


def portable_text(text: str, work_dir: Optional[str] = None, root: str = PROJECT_ROOT) -> str:
    """``text`` with every absolute path in it replaced by its ``portable_path``."""
    return _ABSOLUTE_PATH.sub(lambda m: portable_path(m.group(0), work_dir, root), text)


def absolute_paths(value: Any) -> List[str]:
    """The absolute paths found in the strings of a JSON-like ``value`` (keys and values, nested)."""
    if isinstance(value, str):
        return _ABSOLUTE_PATH.findall(value)
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in absolute_paths(key) + absolute_paths(item)]
    if isinstance(value, (list, tuple)):
        return [p for item in value for p in absolute_paths(item)]
    return []


def make_portable(value: Any, work_dir: Optional[str] = None, root: str = PROJECT_ROOT) -> Any:
    """A copy of a JSON-like ``value`` whose strings carry portable paths only (numbers untouched)."""
    if isinstance(value, str):
        return portable_text(value, work_dir, root)
    if isinstance(value, dict):
        return {make_portable(k, work_dir, root): make_portable(v, work_dir, root) for k, v in value.items()}
    if isinstance(value, list):
        return [make_portable(item, work_dir, root) for item in value]
    return value


def sha256_file(path: str) -> str:
    """Hex sha256 of a file, read in chunks (a checkpoint need not fit in memory twice)."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(HASH_CHUNK_BYTES), b''):
            digest.update(chunk)
    return digest.hexdigest()


def _cpu_fields() -> Dict[str, str]:
    """'model name' and 'flags' of the first processor: /proc/cpuinfo, else lscpu; empty when neither answers."""
    fields: Dict[str, str] = {}
    try:
        with open(CPUINFO, encoding='utf-8', errors='replace') as f:
            for line in f:
                key, _, value = line.partition(':')
                key = key.strip()
                if key in ('model name', 'flags') and key not in fields:
                    fields[key] = value.strip()
    except OSError:
        pass
    if len(fields) < 2:
        try:
            out = subprocess.run(['lscpu'], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            out = ''
        for line in out.splitlines():
            key, _, value = line.partition(':')
            name = {'Model name': 'model name', 'Flags': 'flags'}.get(key.strip())
            if name and name not in fields:
                fields[name] = value.strip()
    return fields


def machine_info() -> Dict[str, Any]:
    """CPU model, logical CPUs (all, and those this process may use), torch threads, the CPU flags that
    decide fast kernels (bf16/AMX; None when unreadable), and the GPU names."""
    fields = _cpu_fields()
    flags = set(fields['flags'].split()) if 'flags' in fields else None
    usable = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()
    gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] \
        if torch.cuda.is_available() else []
    return {'cpu': fields.get('model name') or platform.processor() or platform.machine() or 'unknown',
            'cpu_count': os.cpu_count(), 'cpus_usable': usable, 'torch_threads': torch.get_num_threads(),
            'cpu_flags': None if flags is None else [f for f in CPU_FLAGS_OF_INTEREST if f in flags],
            'gpus': gpus}


def software_versions() -> Dict[str, Any]:
    """Python, torch, its CUDA and cuDNN (None without), NumPy, OpenCV and the backend of the compiled ops."""
    import cv2
    import numpy as np
    try:
        from mmcv.ops import get_backend
        ops = get_backend('cpu')
    except ImportError:
        ops = 'unavailable'
    cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    return {'python': platform.python_version(), 'torch': torch.__version__, 'cuda': torch.version.cuda,
            'cudnn': cudnn, 'numpy': np.__version__, 'opencv': cv2.__version__, 'mmcv_ops': ops}


def _plain(value: Any) -> Any:
    """``value`` as JSON types (tuples become lists, anything else unknown its str)."""
    return json.loads(json.dumps(value, default=str))


def provenance_record(cfg=None, config_file: Optional[str] = None, checkpoint: Optional[str] = None,
                      test_set: Optional[str] = None, cfg_options: Optional[dict] = None,
                      work_dir: Optional[str] = None, dumped_config: Optional[str] = None,
                      config_text: bool = False) -> Dict[str, Any]:
    """The provenance of a training or test run, as JSON types.

    ``git`` (commit, dirty, changed paths) and ``version`` of the project's tree; ``software``; ``machine``;
    ``processes`` (the world size: a batch is samples_per_gpu x processes);
    ``config``: its file, the sha256 of the resolved config's text (``cfg.pretty_text`` after --cfg-options
    and --test-set, paths made portable: the text a training log's header and checkpoints record), the name
    of its dump in the work dir and, with ``config_text``, the text itself (for an eval JSON, which travels
    without its work dir); ``checkpoint``: file, sha256 and size; ``test_set`` and every ``cfg_options``.
    Only what is known is recorded; nothing here is ever an absolute path.
    """
    state = git_state()
    record: Dict[str, Any] = {'schema': SCHEMA, 'git': state, 'version': version_of(RELEASE, state),
                              'software': software_versions(), 'machine': machine_info(),
                              'processes': get_dist_info()[1]}
    if work_dir is not None:
        record['work_dir'] = portable_path(work_dir)
    config: Dict[str, Any] = {}
    if config_file is not None:
        config['file'] = portable_path(config_file, work_dir)
    if cfg is not None:
        text = portable_text(cfg.pretty_text, work_dir)
        config['sha256'] = hashlib.sha256(text.encode('utf-8')).hexdigest()
        if config_text:
            config['text'] = text
    if dumped_config is not None:
        config['dumped'] = portable_path(dumped_config, work_dir)
    if config:
        record['config'] = config
    if checkpoint is not None:
        record['checkpoint'] = {'file': portable_path(checkpoint, work_dir), 'sha256': sha256_file(checkpoint),
                                'bytes': osp.getsize(checkpoint)}
    if test_set is not None:
        record['test_set'] = portable_path(test_set, work_dir)
    record['cfg_options'] = make_portable(_plain(dict(cfg_options or {})), work_dir)
    return _plain(record)  # plain JSON types (torch.__version__ is a str subclass): checkpoints load it weights_only


def provenance_text(record: Dict[str, Any]) -> str:
    """The record as the text log shows it (the config text, if any, left out: the log prints it anyway)."""
    shown = dict(record)
    if 'text' in shown.get('config', {}):
        shown['config'] = {k: v for k, v in shown['config'].items() if k != 'text'}
    return 'Provenance:\n' + json.dumps(shown, indent=1)


def _test_roots(cfg) -> Any:
    tests: Sequence = cfg.data.test if isinstance(cfg.data.test, (list, tuple)) else [cfg.data.test]
    roots = [test.get('data_root') for test in tests]
    return roots[0] if len(roots) == 1 else roots


def eval_record(cfg, config_file: str, checkpoint: str, work_dir: str, test_set: Optional[str] = None,
                cfg_options: Optional[dict] = None) -> Dict[str, Any]:
    """What tools/test.py writes beside the metrics: ``config``, ``checkpoint``, ``test_set`` and its
    ``test_data_root`` (when not the config's own test split), ``cfg_options`` and the ``provenance`` record."""
    record: Dict[str, Any] = {'config': portable_path(config_file, work_dir),
                              'checkpoint': portable_path(checkpoint, work_dir)}
    if test_set:
        record.update(test_set=portable_path(test_set, work_dir),
                      test_data_root=make_portable(_plain(_test_roots(cfg)), work_dir))
    if cfg_options:
        record['cfg_options'] = make_portable(_plain(dict(cfg_options)), work_dir)
    record['provenance'] = provenance_record(cfg, config_file=config_file, checkpoint=checkpoint,
                                             test_set=test_set, cfg_options=cfg_options, work_dir=work_dir,
                                             config_text=True)
    return record
