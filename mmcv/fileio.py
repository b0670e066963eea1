"""File helpers: folders, atomic writes, directory scans and .json/.pkl (de)serialisation.

A .pkl (or .pickle, .npz) file written here is not a pickle: it is a :mod:`mmcv.npz_tree` archive, which
loads without unpickling. Reading a plain pickle (mmseg 0.x's results files) must be asked for.
"""
import errno
import json
import os
import os.path as osp
import pickle
import shutil
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional, Tuple, Union

import numpy as np

from mmcv.npz_tree import is_tree_file, load_tree, save_tree

PathLike = Union[str, Path]

_SUFFIXES = ('.json', '.pkl', '.pickle', '.npz')


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once at import: os.umask can only be read by setting it, which is not thread-safe later on.
_FILE_MODE = 0o666 & ~_current_umask()


def mkdir_or_exist(path: PathLike) -> None:
    """Create ``path`` and its parents; do nothing if it already exists ('' means the current folder)."""
    if str(path) == '':
        return
    os.makedirs(osp.expanduser(str(path)), exist_ok=True)


def check_file_exist(path: PathLike, msg: str = 'file "{}" does not exist') -> None:
    """Raise FileNotFoundError (message ``msg`` formatted with the path) if ``path`` is not a file."""
    if not osp.isfile(str(path)):
        raise FileNotFoundError(msg.format(path))


class NoSpaceError(OSError):
    """The disk filled up while writing ``path``: its text is one line naming the file and the cause."""

    def __init__(self, path: PathLike, what: str = 'file', note: str = ''):
        folder = osp.dirname(osp.abspath(str(path)))
        try:
            free = f'{shutil.disk_usage(folder).free / 2 ** 20:.0f} MiB free in {folder}'
        except OSError:
            free = f'{folder} cannot be read'
        super().__init__(errno.ENOSPC, f'cannot write {what} {path}: no space left on device ({free}){note}')
        self.filename = str(path)

    def __str__(self) -> str:
        return self.strerror


def is_disk_full(error: BaseException) -> bool:
    """True for an OSError that says the disk (or the user's quota) is full."""
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)


@contextmanager
def atomic_write(path: PathLike, mode: str = 'w', encoding: Optional[str] = 'utf-8') -> Iterator[Any]:
    """Open a temporary file next to ``path``; on success it replaces ``path`` in one step.

    Readers never see a half-written file, and an error (or Ctrl-C) leaves the old file untouched
    and no temporary file behind. ``mode`` is 'w' (text) or 'wb' (binary).
    """
    if mode not in ('w', 'wt', 'wb'):
        raise ValueError(f"atomic_write supports mode 'w', 'wt' or 'wb', got {mode!r} for {path}")
    path = str(path)
    folder = osp.dirname(osp.abspath(path))
    if not osp.isdir(folder):
        raise FileNotFoundError(f'cannot write {path}: the folder {folder} does not exist')
    fd, tmp_path = tempfile.mkstemp(dir=folder, prefix=f'.{osp.basename(path)}.', suffix='.tmp')
    try:
        with os.fdopen(fd, mode, encoding=None if 'b' in mode else encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp_path, _FILE_MODE)
        os.replace(tmp_path, path)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise


def scandir(dir_path: PathLike, suffix: Union[str, Tuple[str, ...], None] = None,
            recursive: bool = False) -> Iterator[str]:
    """Yield paths (relative to ``dir_path``, sorted) of the files whose name ends with ``suffix``.

    Hidden entries (names starting with '.') are skipped, folders included.
    """
    if suffix is not None and not isinstance(suffix, (str, tuple)):
        raise TypeError(f'suffix must be a str or a tuple of str, got {type(suffix).__name__}: {suffix!r}')
    root = str(dir_path)
    if not osp.isdir(root):
        raise FileNotFoundError(f'cannot scan {root}: not a folder')

    def walk(folder: str) -> Iterator[str]:
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.name.startswith('.'):
                continue
            if entry.is_file():
                if suffix is None or entry.name.endswith(suffix):
                    yield osp.relpath(entry.path, root)
            elif recursive and entry.is_dir():
                yield from walk(entry.path)

    return walk(root)


def _json_default(obj: Any) -> Any:
    """Make numpy values and sets JSON-serialisable (metrics are often numpy scalars)."""
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f'{type(obj).__name__} is not JSON serialisable: {obj!r}')


def _suffix_of(file: PathLike) -> str:
    suffix = osp.splitext(str(file))[1].lower()
    if suffix not in _SUFFIXES:
        raise ValueError(f'unsupported file type {suffix!r} for {file}; expected one of {", ".join(_SUFFIXES)}')
    return suffix


def dump(obj: Any, file: PathLike, **kwargs: Any) -> None:
    """Write ``obj`` to ``file`` atomically: JSON for .json, a :mod:`mmcv.npz_tree` archive for .pkl, .pickle
    and .npz (numpy arrays, numbers, strings, None and lists/tuples/dicts of them; TypeError otherwise).

    Extra keyword arguments go to ``json.dump``.
    """
    if _suffix_of(file) == '.json':
        kwargs.setdefault('default', _json_default)
        with atomic_write(file, 'w') as f:
            json.dump(obj, f, **kwargs)
    else:
        if kwargs:
            raise TypeError(f'dump({file}): options {sorted(kwargs)} apply to .json files only')
        with atomic_write(file, 'wb') as f:
            save_tree(obj, f, target=str(file))


def load(file: PathLike, unsafe_pickle: bool = False) -> Any:
    """Read an object from ``file`` (.json, or .pkl/.pickle/.npz as :func:`dump` writes them).

    A .pkl file that is a plain pickle is refused (ValueError): unpickling can run any code the file
    holds. ``unsafe_pickle=True`` reads it anyway, with a warning; do that only for files you trust.
    Truncated or corrupt files give a one-line ValueError naming the file.
    """
    suffix = _suffix_of(file)
    check_file_exist(file)
    if suffix == '.json':
        with open(file, encoding='utf-8') as f:
            return json.load(f)
    file = str(file)
    if osp.getsize(file) == 0:
        raise ValueError(f'cannot read {file}: the file is empty')
    if is_tree_file(file):
        return load_tree(file)
    with open(file, 'rb') as f:
        head = f.read(2)
    is_pickle = head[:1] == b'\x80' and head[1:2] in (b'\x02', b'\x03', b'\x04', b'\x05')
    if not unsafe_pickle:
        what = ('it is a plain pickle, and unpickling can run arbitrary code that the file holds. Files written '
                'by mmcv.fileio.dump (tools/test.py --out) are safe .npz archives: write it again, or, if you '
                'trust this file, allow it explicitly (--unsafe-pickle in the tools, unsafe_pickle=True here)'
                if is_pickle else 'not a results file: neither an archive written by mmcv.fileio.dump '
                '(tools/test.py --out) nor a pickle; is it corrupt?')
        raise ValueError(f'cannot read {file}: {what}')
    warnings.warn(f'unpickling {file} as asked: a pickle can run arbitrary code; only load files you trust',
                  stacklevel=2)
    try:
        with open(file, 'rb') as f:
            return pickle.load(f)
    except Exception as e:  # noqa: BLE001 - whatever the broken pickle raises: name the file, one line
        reason = str(e).splitlines()[0] if str(e) else ''
        raise ValueError(f'cannot unpickle {file}: truncated or not a pickle ({type(e).__name__}: {reason})') from e
