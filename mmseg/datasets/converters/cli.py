"""What the converter command lines share: the common flags and the run-report-exit wrapper."""
import argparse
import os.path as osp
import sys
import time
from typing import Callable, Dict

from .archive import ConversionError, Limits
from .output import MANIFEST
from .samples import SplitSummary
from .signals import Interrupted, handle_signals


def label_threshold(text: str) -> int:
    """argparse type of --label-threshold: a grey level 1..255 (0 or less would make every pixel a vessel)."""
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not 1 <= value <= 255:
        raise argparse.ArgumentTypeError(f'expected a whole grey level in 1..255 (value >= T becomes vessel), '
                                         f'got {text!r}')
    return value


def add_common_args(parser: argparse.ArgumentParser, default_out: str) -> None:
    """-o/--out_dir, --tmp_dir, --force, --label-threshold, --max-entry-mb, --max-megapixels."""
    parser.add_argument('-o', '--out_dir', default=default_out, help=f'output folder (default: {default_out})')
    parser.add_argument('--tmp_dir', help='where to build the tree before moving it into place '
                                          '(default: next to the output folder)')
    parser.add_argument('--force', action='store_true',
                        help=f'replace an existing output folder that a converter wrote (its {MANIFEST} lists every '
                             f'file in it), only once the new one is complete; never a folder with other files or '
                             f'with the inputs in it')
    parser.add_argument('--label-threshold', type=label_threshold, metavar='T',
                        help='binarize every label as value >= T, T in 1..255 (mmseg 0.x used 128), instead of '
                             'refusing labels that are not (near-)binary 0/1 or 0/255 maps')
    parser.add_argument('--max-entry-mb', type=float, default=512,
                        help='refuse archive entries larger than this once uncompressed (default: 512)')
    parser.add_argument('--max-megapixels', type=float, default=100,
                        help='refuse images with more pixels than this, read from the header before decoding '
                             '(default: 100)')


def common_options(args: argparse.Namespace) -> dict:
    """The keyword arguments of a ``convert_*`` function that :func:`add_common_args` defines."""
    return dict(out_dir=args.out_dir, tmp_dir=args.tmp_dir, force=args.force, label_threshold=args.label_threshold,
                limits=Limits.from_cli(args.max_entry_mb, args.max_megapixels))


def run_converter(name: str, convert: Callable[[], Dict[str, SplitSummary]], out_dir: str) -> int:
    """Run ``convert``; print the summary, or one ``error: ...`` line on stderr; return the exit status.

    1 for bad input or a disk error; SIGTERM and Ctrl-C stop the run like an error (temporary folders
    removed, one line) with the shell's status for the signal, 128 + its number (143, 130).
    """
    start = time.perf_counter()
    try:
        with handle_signals():
            summaries = convert()
    except ConversionError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    except Interrupted as e:
        print(f'error: {e}', file=sys.stderr)
        return 128 + e.signum
    for split, summary in summaries.items():
        print(f'{split}: {summary}')
    target = osp.realpath(out_dir)
    shown = out_dir if target == osp.abspath(out_dir) else f'{out_dir} (-> {target})'
    print(f'Done: {name} written to {shown} in {time.perf_counter() - start:.1f} s')
    return 0
