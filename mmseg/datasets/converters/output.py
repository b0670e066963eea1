"""Write a converted dataset all-or-nothing: build it in a temporary folder, rename it into place at the end.

A failure (bad input, a full or read-only disk, Ctrl-C) leaves no partial output, and an existing
output is replaced (``force=True``) only by a complete new one. Disk errors become one
:class:`ConversionError` naming the file.
"""
import os
import os.path as osp
import shutil
import tempfile
from typing import Optional

import numpy as np

from mmcv.image import imencode

from .archive import ConversionError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _disk_error(action: str, path: str, e: OSError) -> ConversionError:
    return ConversionError(f'cannot {action} {path}: {e.strerror or e}')


def check_output(out_dir: str, force: bool) -> None:
    """Refuse to overwrite a non-empty output folder without ``force``, and a file in its place."""
    if osp.exists(out_dir) and not osp.isdir(out_dir):
        raise ConversionError(f'{out_dir} exists and is not a folder')
    if osp.isdir(out_dir) and os.listdir(out_dir) and not force:
        raise ConversionError(f'{out_dir} already exists and is not empty; pass --force (force=True) to replace '
                              f'it (it is replaced only once the new data is complete)')


class OutputTree:
    """Context manager: ``write`` files under a temporary root; on success the root becomes ``out_dir``.

    Args:
        out_dir: the final folder.
        force: replace an existing non-empty ``out_dir``.
        tmp_dir: where to build the tree (default: next to ``out_dir``, so the final rename is atomic).
    """

    def __init__(self, out_dir: str, force: bool = False, tmp_dir: Optional[str] = None):
        self.out_dir = osp.normpath(out_dir)
        self.force = force
        self.parent = osp.dirname(osp.abspath(self.out_dir))
        self.tmp_dir = tmp_dir or self.parent
        self.root = ''

    def __enter__(self) -> 'OutputTree':
        check_output(self.out_dir, self.force)
        try:
            os.makedirs(self.tmp_dir, exist_ok=True)
            self.root = tempfile.mkdtemp(prefix=f'.{osp.basename(self.out_dir)}.tmp.', dir=self.tmp_dir)
            os.chmod(self.root, 0o777 & ~_umask())  # mkdtemp makes it private; the output should not be
        except OSError as e:
            raise _disk_error('create a folder in', self.tmp_dir, e) from e
        return self

    def write(self, img: np.ndarray, relpath: str) -> None:
        """Encode ``img`` by the suffix of ``relpath`` (as cv2.imwrite would) and write it under the root."""
        path = osp.join(self.root, relpath)
        content = imencode(img, osp.splitext(relpath)[1])
        try:
            os.makedirs(osp.dirname(path), exist_ok=True)
            with open(path, 'wb') as f:
                f.write(content)
        except OSError as e:
            raise _disk_error('write', osp.join(self.out_dir, relpath), e) from e

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            return
        try:
            self._move_into_place()
        except OSError as e:
            shutil.rmtree(self.root, ignore_errors=True)
            raise _disk_error('move the converted data into', self.out_dir, e) from e

    def _move_into_place(self) -> None:
        """Rename the finished tree to ``out_dir``, replacing an old one only after the new one is complete."""
        built = self.root
        if os.stat(built).st_dev != os.stat(self.parent).st_dev:  # tmp_dir on another filesystem
            staging = tempfile.mkdtemp(prefix=f'.{osp.basename(self.out_dir)}.', dir=self.parent)
            try:
                shutil.copytree(built, staging, dirs_exist_ok=True)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            shutil.rmtree(built)
            self.root = built = staging
        old = None
        if osp.exists(self.out_dir):
            old = tempfile.mkdtemp(prefix=f'.{osp.basename(self.out_dir)}.old.', dir=self.parent)
            os.rename(self.out_dir, osp.join(old, 'tree'))
        try:
            os.rename(built, self.out_dir)
        except OSError:
            if old is not None:
                os.rename(osp.join(old, 'tree'), self.out_dir)
                os.rmdir(old)
            raise
        if old is not None:
            shutil.rmtree(old)
