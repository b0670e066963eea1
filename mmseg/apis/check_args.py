"""Checks of a tool's arguments that would otherwise fail only after the work: run them first."""
import argparse
import difflib
import os
import os.path as osp
import tempfile
from typing import Sequence

import numpy as np

from mmcv.image import imencode
from mmseg.core.evaluation.metrics import METRICS, check_eval_options


def check_metrics(metrics: Sequence[str], flag: str = '--eval') -> None:
    """Refuse metric names the datasets do not compute, suggesting the nearest one."""
    for metric in metrics:
        if metric not in METRICS:
            close = difflib.get_close_matches(metric, METRICS, n=1, cutoff=0.5)
            hint = f'did you mean {close[0]!r}? ' if close else ''
            raise ValueError(f'{flag} {metric!r} is not a metric the dataset computes; {hint}'
                             f'choose from {", ".join(METRICS)}')


def check_writable_dir(path: str, flag: str) -> None:
    """Create ``path`` (and its parents) if missing; refuse it if that fails or it is not writable."""
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise ValueError(f'{flag}: cannot create the folder {path} ({e.strerror or e})') from None
    try:
        fd, probe = tempfile.mkstemp(dir=path, prefix='.write_check_')
        os.close(fd)
        os.remove(probe)
    except OSError as e:
        raise ValueError(f'{flag}: the folder {path} is not writable ({e.strerror or e})') from None


def check_creatable_dir(path: str, flag: str) -> None:
    """Refuse ``path`` unless it is a writable folder or could be created as one; creates nothing.

    For outputs written only at the end of a tool, after its input was checked: a refused run leaves no
    empty folder behind.
    """
    path = osp.abspath(path)
    if osp.exists(path) and not osp.isdir(path):
        raise ValueError(f'{flag}: {path} exists and is not a folder')
    existing = path
    while not osp.exists(existing):
        existing = osp.dirname(existing)
    if not osp.isdir(existing):
        raise ValueError(f'{flag}: cannot create the folder {path}: {existing} is a file')
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f'{flag}: the folder {existing} is not writable')


def check_output_file(path: str, flag: str, example: str, create_folder: bool = False) -> None:
    """Refuse an output file ``path`` that is (or is spelled as) a folder, or whose folder cannot be made or
    written; ``example`` is a file name suggested inside such a folder. ``create_folder`` creates the folder
    now (see :func:`check_writable_dir`), else nothing is created (see :func:`check_creatable_dir`)."""
    if path.endswith(('/', os.sep)) or osp.isdir(path):
        raise ValueError(f'{flag} {path} is a folder; give a file name such as {osp.join(path, example)}')
    folder = osp.dirname(osp.abspath(path))
    (check_writable_dir if create_folder else check_creatable_dir)(folder, f'{flag} {path}')


def check_image_output(path: str, flag: str) -> None:
    """Refuse an image file ``path`` whose suffix no image writer knows, or that :func:`check_output_file`
    refuses; creates nothing."""
    check_output_file(path, flag, 'overlay.png')
    suffix = osp.splitext(path)[1]
    try:
        imencode(np.zeros((1, 1, 3), np.uint8), suffix or '.')
    except ValueError as e:
        raise ValueError(f'{flag} {path}: {"" if suffix else "no suffix; "}{e}') from None


def check_format_options(options: dict) -> None:
    """``--eval-options`` of ``--format-only`` (mmseg 0.x): ``imgfile_prefix``, the folder of the label PNGs,
    required, and created now if missing."""
    for key in options:
        if key != 'imgfile_prefix':
            close = difflib.get_close_matches(str(key), ['imgfile_prefix'], n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ''
            raise ValueError(f'--eval-options: unknown option {key!r} for --format-only{hint} (accepted: '
                             'imgfile_prefix)')
    if not options.get('imgfile_prefix'):
        raise ValueError('--format-only needs --eval-options imgfile_prefix=FOLDER (where one label PNG per test '
                         'image is written)')
    check_writable_dir(osp.abspath(str(options['imgfile_prefix'])), '--eval-options imgfile_prefix')


def check_test_args(args: argparse.Namespace) -> None:
    """Check tools/test.py's arguments before any model or data is loaded (ValueError on a problem).

    ``--eval`` names must be metrics the dataset computes, ``--eval-options`` options that change one of
    them (``beta`` for mFscore) with valid values, or with ``--format-only`` ``imgfile_prefix``; the
    folders of ``--show-dir``, of the ``--out`` file, ``imgfile_prefix`` and ``--work-dir`` are created
    when missing and must be writable, so that the results of a long inference pass are never lost to a
    typo or a read-only path.
    """
    if getattr(args, 'eval', None):
        check_metrics(args.eval)
    options = getattr(args, 'eval_options', None)
    if getattr(args, 'format_only', False):
        check_format_options(options or {})
    elif options:
        if not getattr(args, 'eval', None):
            raise ValueError(f'--eval-options need --eval (they change how metrics are computed), got {options}')
        try:
            check_eval_options(options, args.eval, metrics_flag='--eval')
        except ValueError as e:
            raise ValueError(f'--eval-options: {e}') from None
    out = getattr(args, 'out', None)
    if out:
        check_output_file(out, '--out', 'results.pkl', create_folder=True)
    for flag in ('show_dir', 'work_dir'):
        path = getattr(args, flag, None)
        if path:
            check_writable_dir(osp.abspath(path), '--' + flag.replace('_', '-'))
