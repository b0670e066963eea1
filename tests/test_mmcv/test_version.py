"""mmcv/version.py: the git state of a tree (commit, dirty, changed files) and the version built from it."""
import os
import subprocess

import pytest

import mmcv
import mmseg
from mmcv.version import PROJECT_ROOT, RELEASE, git_state, version_of

needs_git = pytest.mark.skipif(subprocess.run(['git', '--version'], capture_output=True).returncode != 0,
                               reason='git is not installed')


def git(repo, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME='t', GIT_AUTHOR_EMAIL='t@t', GIT_COMMITTER_NAME='t',
               GIT_COMMITTER_EMAIL='t@t')
    return subprocess.run(['git', '-C', str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    """A git clone with one committed file and an ignored folder."""
    root = tmp_path / 'project'
    root.mkdir()
    git(root, 'init', '-q')
    (root / 'code.py').write_text('x = 1\n')
    (root / '.gitignore').write_text('work_dirs/\n')
    git(root, 'add', '.')
    git(root, 'commit', '-q', '-m', 'first')
    return root


@needs_git
def test_clean_tree_has_its_commit_and_is_not_dirty(repo):
    (repo / 'work_dirs').mkdir()
    (repo / 'work_dirs' / 'latest.pth').write_bytes(b'ignored output')  # ignored files do not count
    state = git_state(str(repo))
    assert state == {'commit': git(repo, 'rev-parse', 'HEAD'), 'dirty': False, 'changed': []}
    assert version_of('1.2.3', state) == f"1.2.3+g{state['commit'][:7]}"


@needs_git
@pytest.mark.parametrize('change', ['modified', 'untracked', 'staged'])
def test_changed_tree_is_dirty_and_names_the_files(repo, change):
    if change == 'modified':
        (repo / 'code.py').write_text('x = 2\n')
    else:
        (repo / 'new.py').write_text('y = 1\n')
        if change == 'staged':
            git(repo, 'add', 'new.py')
    state = git_state(str(repo))
    assert state['dirty'] is True and state['commit'] == git(repo, 'rev-parse', 'HEAD')
    assert state['changed'] == ['code.py' if change == 'modified' else 'new.py']
    assert version_of('1.2.3', state).endswith('.dirty')


def test_outside_a_clone_everything_is_unknown(tmp_path):
    state = git_state(str(tmp_path))
    assert state == {'commit': 'unknown', 'dirty': None, 'changed': []}
    assert version_of('1.2.3', state) == '1.2.3'


@needs_git
def test_a_folder_inside_another_repository_is_not_that_repository(repo):
    (repo / 'site-packages').mkdir()  # say, an installed copy inside a user's own repository
    assert git_state(str(repo / 'site-packages'))['commit'] == 'unknown'


def test_missing_git_is_unknown_not_a_crash(repo, monkeypatch):
    monkeypatch.setenv('PATH', str(repo / 'no-bin-here'))
    assert git_state(str(repo)) == {'commit': 'unknown', 'dirty': None, 'changed': []}


def test_packages_report_one_honest_version():
    assert mmcv.__version__ == mmseg.__version__
    state = git_state(PROJECT_ROOT)
    assert mmseg.__version__ == version_of(RELEASE, state)
    if state['commit'] != 'unknown':  # a clone: the commit is in the version, not the constant alone
        assert mmseg.__version__.startswith(f"{RELEASE}+g{state['commit'][:7]}")
    from mmseg import __version__
    assert __version__ == mmseg.__version__
