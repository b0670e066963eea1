"""Write a converted dataset all-or-nothing, and replace or remove only what a converter wrote itself.

The tree is built in a temporary folder and renamed into place at the end, so a failure (bad input, a
full or read-only disk, Ctrl-C, SIGTERM) leaves no partial output, and an existing output is replaced
(``force=True``) only by a complete new one. Disk errors become one short :class:`ConversionError`
naming the path.

What may be replaced or removed:

- **The manifest.** The last file written into every output folder is ``.converter_manifest.json``: the
  converter, the inputs and the list of files it wrote. ``force`` replaces a folder only when it has
  a manifest and holds nothing the manifest does not list; otherwise the error names the files that
  would be lost and nothing is touched. A folder written by a converter older than the manifest has
  none: remove it by hand once you have checked it holds nothing you need.
- **Inputs.** An input archive inside the output folder is refused, with or without ``force``
  (replacing the folder would delete it): keep downloads outside the output folder.
- **Symbolic links.** An output folder given as a symlink is followed: the data is written into the
  folder it points to (which is replaced there) and the link stays.
- **The current folder.** An output folder that is (or holds) the current working directory is
  refused: replacing it would leave the shell in a deleted folder.
- **Temporary folders.** Each run works in ``.NAME.tmp.XXXX`` folders (next to the output, and in
  ``tmp_dir``), each holding an ``owner.json`` with the run's pid and host, and parks a replaced
  output in ``.NAME.old.XXXX`` until the new one is in place. A run killed with SIGKILL (or a
  machine that went down) leaves them behind; the next run for the same output name removes every such
  folder whose owner process is gone from this host and logs one line per folder. Folders without
  ``owner.json``, of a live process, or of another host are left alone. A parked output whose
  replacement never arrived (killed between the two renames) is moved back into place first.
"""
import datetime
import json
import os
import os.path as osp
import shutil
import socket
import tempfile
from typing import Iterable, List, Optional, Sequence

import numpy as np

from mmcv.image import imencode
from mmcv.logging import print_log

from .archive import ConversionError
from .signals import uninterrupted

MANIFEST = '.converter_manifest.json'
OWNER = 'owner.json'
TEMP_KINDS = ('tmp', 'old')


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _disk_error(action: str, path: str, e: OSError) -> ConversionError:
    return ConversionError(f'cannot {action} {path}: {e.strerror or str(e)[:200]}')


def _inside(path: str, folder: str) -> bool:
    """Whether real path ``path`` is ``folder`` or lies below it."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _shown(out_dir: str) -> str:
    target = osp.realpath(out_dir)
    return out_dir if target == osp.abspath(out_dir) else f'{out_dir} (-> {target})'


def _some(names: List[str], shown: int = 5) -> str:
    listed = ', '.join(names[:shown])
    return f'{listed} (and {len(names) - shown} more)' if len(names) > shown else listed


def _listing(folder: str) -> List[str]:
    """Everything under ``folder`` as relative '/' paths: files, links, and folders holding nothing else."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        rel = osp.relpath(dirpath, folder)
        prefix = '' if rel == '.' else rel.replace(os.sep, '/') + '/'
        links = [d for d in dirnames if osp.islink(osp.join(dirpath, d))]
        found += [prefix + name for name in filenames + links]
        if not dirnames and not filenames and prefix:
            found.append(prefix)
    return sorted(found)


def _foreign_files(target: str, shown: str) -> List[str]:
    """What under ``target`` its manifest does not list; an error when it has no (readable) manifest."""
    everything = _listing(target)
    try:
        with open(osp.join(target, MANIFEST)) as f:
            listed = set(json.load(f)['files'])
    except FileNotFoundError:
        raise ConversionError(
            f'{shown} has no {MANIFEST}, so no converter wrote it (or one older than the manifest did): --force '
            f'replaces only a converter\'s own output, and replacing this folder would delete '
            f'{_some(everything)}; remove it by hand if none of that is needed, or choose another -o') from None
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ConversionError(f'{shown}: cannot read {MANIFEST} ({type(e).__name__}: {e}); remove the folder by '
                              f'hand if none of its files is needed, or choose another -o') from e
    return [name for name in everything if name != MANIFEST and name not in listed]


def check_output(out_dir: str, force: bool, inputs: Iterable[str] = ()) -> None:
    """Refuse, before any work, an output that this run may not write or replace (see the module doc)."""
    target, shown = osp.realpath(out_dir), _shown(out_dir)
    if osp.exists(target) and not osp.isdir(target):
        raise ConversionError(f'{shown} exists and is not a folder')
    for path in inputs:
        if _inside(osp.realpath(path), target):
            raise ConversionError(f'the input {path} lies inside the output folder {shown}; writing the output '
                                  f'would replace the folder and delete the input: keep the downloaded archives '
                                  f'outside the output folder, or choose another -o')
    if not osp.isdir(target):
        return
    if _inside(osp.realpath(os.getcwd()), target):
        raise ConversionError(f'the output folder {shown} is the current folder or holds it; it is replaced by a '
                              f'new folder at the end, which would leave this shell in a deleted folder: run the '
                              f'command from outside it (e.g. from its parent with -o {osp.basename(target)})')
    if not os.listdir(target):
        return
    if not force:
        raise ConversionError(f'{shown} already exists and is not empty; pass --force (force=True) to replace '
                              f'it (it is replaced only once the new data is complete, and only if a converter '
                              f'wrote it)')
    foreign = _foreign_files(target, shown)
    if foreign:
        raise ConversionError(f'{shown} holds files that no converter wrote: {_some(foreign)}; --force replaces '
                              f'only a converter\'s own output: move them out of the folder first')


def _owner_record(kind: str, out_dir: str) -> dict:
    return {'pid': os.getpid(), 'host': socket.gethostname(), 'kind': kind, 'out_dir': out_dir,
            'started': datetime.datetime.now().astimezone().isoformat(timespec='seconds')}


def _make_work_dir(folder: str, base: str, kind: str, out_dir: str) -> str:
    """A new ``.BASE.KIND.XXXX`` folder in ``folder`` holding this process's ``owner.json``."""
    work = tempfile.mkdtemp(prefix=f'.{base}.{kind}.', dir=folder)
    try:
        with open(osp.join(work, OWNER), 'w') as f:
            json.dump(_owner_record(kind, out_dir), f)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return work


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def remove_stale_work_dirs(folders: Sequence[str], base: str, logger=None) -> List[str]:
    """Remove the ``.BASE.tmp.*`` / ``.BASE.old.*`` folders of dead converter runs on this host (module doc)."""
    removed = []
    for folder in dict.fromkeys(folders):
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            path = osp.join(folder, name)
            if not any(name.startswith(f'.{base}.{kind}.') for kind in TEMP_KINDS) or osp.islink(path):
                continue
            try:
                with open(osp.join(path, OWNER)) as f:
                    owner = json.load(f)
                pid, host = int(owner['pid']), owner['host']
            except (OSError, ValueError, KeyError, TypeError):
                continue  # not made by a converter: not ours to remove
            if host != socket.gethostname() or _process_alive(pid):
                continue
            parked, out_dir = osp.join(path, 'tree'), owner.get('out_dir')
            if owner.get('kind') == 'old' and osp.isdir(parked) and out_dir and not osp.lexists(out_dir):
                os.rename(parked, out_dir)
                print_log(f'restored {out_dir} from {path}, where a converter run (pid {pid}) killed while '
                          f'replacing it had parked it', logger)
            shutil.rmtree(path, ignore_errors=True)
            print_log(f'removed the stale temporary folder {path} of a converter run (pid {pid}, started '
                      f'{owner.get("started", "?")}) that was killed before it finished', logger)
            removed.append(path)
    return removed


def prepare_output(out_dir: str, force: bool, inputs: Iterable[str] = (), tmp_dir: Optional[str] = None,
                   logger=None) -> None:
    """Before any work: remove (or restore) what dead runs for this output left, then :func:`check_output`."""
    target = osp.realpath(out_dir)
    folders = [osp.dirname(target)] + ([osp.realpath(tmp_dir)] if tmp_dir else [])
    remove_stale_work_dirs(folders, osp.basename(target), logger)
    check_output(out_dir, force, inputs)


class OutputTree:
    """Context manager: ``write`` files under a temporary root; on success the root becomes ``out_dir``.

    Args:
        out_dir: the final folder (a symlink is followed: its target is written, the link kept).
        force: replace an existing output a converter wrote (see :func:`check_output`).
        tmp_dir: where to build the tree (default: next to ``out_dir``, so the final rename is atomic).
        name: the converter (e.g. 'STARE'), recorded in the manifest.
        inputs: the input archives: never inside ``out_dir``; recorded in the manifest.
        logger: where the lines about stale temporary folders go (None: printed).
    """

    def __init__(self, out_dir: str, force: bool = False, tmp_dir: Optional[str] = None, name: str = '',
                 inputs: Sequence[str] = (), logger=None):
        self.requested = out_dir
        self.out_dir = osp.realpath(out_dir)
        self.force, self.name, self.inputs, self.logger = force, name, list(inputs), logger
        self.parent = osp.dirname(self.out_dir)
        self.base = osp.basename(self.out_dir)
        self.tmp_dir = tmp_dir or self.parent
        self.work = self.root = ''
        self.files: List[str] = []

    def __enter__(self) -> 'OutputTree':
        if _inside(osp.realpath(self.tmp_dir), self.out_dir):
            raise ConversionError(f'--tmp_dir {self.tmp_dir} lies inside the output folder {_shown(self.requested)}, '
                                  f'which is replaced at the end; choose a folder outside it')
        prepare_output(self.requested, self.force, self.inputs, self.tmp_dir, self.logger)
        try:
            os.makedirs(self.tmp_dir, exist_ok=True)
            self.work = _make_work_dir(self.tmp_dir, self.base, 'tmp', self.out_dir)
            self.root = osp.join(self.work, 'tree')
            os.mkdir(self.root, 0o777 & ~_umask())
        except OSError as e:
            self._clean_up()
            raise _disk_error('create a folder in', self.tmp_dir, e) from e
        return self

    def write(self, img: np.ndarray, relpath: str) -> None:
        """Encode ``img`` by the suffix of ``relpath`` (as cv2.imwrite would) and write it under the root."""
        content = imencode(img, osp.splitext(relpath)[1])
        self._write_bytes(content, relpath)
        self.files.append(relpath)

    def _write_bytes(self, content: bytes, relpath: str) -> None:
        path = osp.join(self.root, relpath)
        try:
            os.makedirs(osp.dirname(path), exist_ok=True)
            with open(path, 'wb') as f:
                f.write(content)
        except OSError as e:
            raise _disk_error('write', osp.join(self.requested, relpath), e) from e

    def _clean_up(self) -> None:
        with uninterrupted():
            if self.work:
                shutil.rmtree(self.work, ignore_errors=True)
                self.work = ''

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self._clean_up()
            return
        try:
            manifest = {'converter': self.name, 'written': datetime.datetime.now().astimezone().isoformat(
                timespec='seconds'), 'inputs': [osp.abspath(p) for p in self.inputs], 'files': sorted(self.files)}
            self._write_bytes(json.dumps(manifest, indent=1).encode(), MANIFEST)  # last: marks a complete tree
            self._move_into_place()
        except OSError as e:
            self._clean_up()
            raise _disk_error('move the converted data into', self.requested, e) from e
        except BaseException:
            self._clean_up()
            raise

    def _copy_to_parent(self) -> None:
        """--tmp_dir on another file system: copy the tree next to the output (file by file, stopping at the
        first error with one short message), so that the final rename stays atomic."""
        staging = _make_work_dir(self.parent, self.base, 'tmp', self.out_dir)
        try:
            for dirpath, _, filenames in os.walk(self.root):
                rel = osp.relpath(dirpath, self.root)
                os.makedirs(osp.normpath(osp.join(staging, 'tree', rel)), exist_ok=True)
                for filename in filenames:
                    shutil.copyfile(osp.join(dirpath, filename), osp.join(staging, 'tree', rel, filename))
        except OSError as e:
            shutil.rmtree(staging, ignore_errors=True)
            raise _disk_error('copy the converted data into', self.requested, e) from e
        shutil.rmtree(self.work)
        self.work, self.root = staging, osp.join(staging, 'tree')
        os.chmod(self.root, 0o777 & ~_umask())

    def _move_into_place(self) -> None:
        """Rename the finished tree to ``out_dir``, replacing an old one only after the new one is complete."""
        if os.stat(self.work).st_dev != os.stat(self.parent).st_dev:
            self._copy_to_parent()
        with uninterrupted(complete=True):
            check_output(self.requested, self.force, self.inputs)  # again: the folder may have changed meanwhile
            old = None
            if osp.lexists(self.out_dir):
                old = _make_work_dir(self.parent, self.base, 'old', self.out_dir)
                try:
                    os.rename(self.out_dir, osp.join(old, 'tree'))
                except OSError:
                    shutil.rmtree(old, ignore_errors=True)
                    raise
            try:
                os.rename(self.root, self.out_dir)
            except OSError:
                if old is not None:
                    os.rename(osp.join(old, 'tree'), self.out_dir)
                    shutil.rmtree(old, ignore_errors=True)
                raise
            shutil.rmtree(self.work, ignore_errors=True)
            self.work = ''
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
