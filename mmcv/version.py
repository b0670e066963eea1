"""The project's version and the git state of its tree (one repository holds both mmcv and mmseg).

``RELEASE`` is the number of the last release (setup.py reads it). ``full_version()`` adds what the tree
is when it is a git clone, PEP 440 style: ``0.1.0+g1a2b3c4`` at a clean commit, ``0.1.0+g1a2b3c4.dirty``
with uncommitted changes, plain ``0.1.0`` outside a clone (an installed copy) or without git.
"""
import functools
import os.path as osp
import subprocess
from typing import Dict, List, Optional

RELEASE = '0.1.0'

PROJECT_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
GIT_TIMEOUT_S = 10
MAX_LISTED_CHANGES = 20


def _git(root: str, *args: str) -> Optional[str]:
    """stdout of ``git -C root ARGS``, or None when git is missing, fails or hangs."""
    try:
        done = subprocess.run(['git', '-C', root, *args], capture_output=True, text=True, timeout=GIT_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def git_state(root: str = PROJECT_ROOT) -> Dict[str, object]:
    """``commit`` (full hash, or 'unknown'), ``dirty`` (True/False, None when unknown) and ``changed`` (the first
    paths ``git status`` lists, relative to ``root``) of the git tree whose top is ``root``.

    A ``root`` that is not the top of a clone (say, an installed copy inside someone else's repository) is
    'unknown': that repository's commit would say nothing about this code.
    """
    unknown = {'commit': 'unknown', 'dirty': None, 'changed': []}
    top = _git(root, 'rev-parse', '--show-toplevel')
    if top is None or osp.realpath(top.strip()) != osp.realpath(root):
        return unknown
    commit = _git(root, 'rev-parse', 'HEAD')
    status = _git(root, 'status', '--porcelain', '--untracked-files=normal')
    if commit is None or status is None:
        return unknown
    changed: List[str] = [line[3:] for line in status.splitlines() if line.strip()]
    return {'commit': commit.strip(), 'dirty': bool(changed), 'changed': changed[:MAX_LISTED_CHANGES]}


def version_of(release: str, state: Dict[str, object]) -> str:
    """``release`` with the commit and dirty flag of ``state`` as a PEP 440 local version."""
    if state.get('commit', 'unknown') == 'unknown':
        return release
    return f"{release}+g{str(state['commit'])[:7]}{'.dirty' if state.get('dirty') else ''}"


@functools.lru_cache(maxsize=1)
def full_version() -> str:
    """This process's version (the tree is read once, when first asked)."""
    return version_of(RELEASE, git_state())
