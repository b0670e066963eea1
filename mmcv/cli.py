"""Command-line pieces that several tools share: the process-group flags and the deprecated ``--options``.

A tool still owns its parser; these helpers add the shared flags, apply them after parsing and start the
process group they ask for, so the tools agree on them (``mmcv.dist.init_dist`` picks gloo over nccl on a
machine without CUDA).
"""
import argparse
import os
import warnings
from typing import Any, Mapping, Optional

from mmcv.dist import init_dist

DIST_BACKENDS = ('nccl', 'gloo', 'mpi')


def add_dist_args(parser: argparse.ArgumentParser) -> None:
    """``--local_rank`` (set by old launchers) and ``--dist_backend`` (overrides the config's dist_params)."""
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    parser.add_argument('--dist_backend', '--dist-backend', choices=list(DIST_BACKENDS), default=None,
                        help='process group backend (default: nccl with CUDA, else gloo)')


def export_local_rank(args: argparse.Namespace) -> None:
    """Make ``--local_rank`` visible as LOCAL_RANK unless the launcher already set it (torchrun does)."""
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)


def start_dist(args: argparse.Namespace, cfg: Mapping[str, Any]) -> bool:
    """Join the process group for ``--launcher`` (none: nothing to do); returns whether the run is distributed.

    The backend is ``--dist_backend`` if given, else the config's ``dist_params.backend``, else the default of
    :func:`mmcv.dist.init_dist` (which also turns nccl into gloo when there is no CUDA).
    """
    if args.launcher == 'none':
        return False
    init_dist(args.launcher, backend=args.dist_backend or cfg.get('dist_params', {}).get('backend'))
    return True


def use_deprecated_options(args: argparse.Namespace, parser: Optional[argparse.ArgumentParser] = None,
                           removed_in: Optional[str] = None) -> None:
    """Let the deprecated ``--options`` stand for ``--cfg-options``, with a warning; both at once is an error.

    Args:
        parser: report the error through ``parser.error`` (usage, exit 2) instead of raising ValueError.
        removed_in: the version that will drop ``--options``, named in the messages.
    """
    warning = '--options is deprecated in favor of --cfg-options'
    if removed_in:
        warning += f'. --options will not be supported in version {removed_in}.'
    if args.options and args.cfg_options:
        error = '--options and --cfg-options cannot be both specified' + (
            f', {warning}' if removed_in else '; --options is deprecated')
        if parser is not None:
            parser.error(error)
        raise ValueError(error)
    if args.options:
        warnings.warn(warning)
        args.cfg_options = args.options
