"""tools/test.py refuses bad --eval names and unusable output folders before it loads or predicts anything."""
import argparse
import os

import pytest

from mmseg.apis.check_args import check_test_args

pytestmark = pytest.mark.usefixtures('cli_state')


@pytest.fixture
def tester(load_tool, monkeypatch):
    """tools/test.py whose inference pass fails the test if it is ever reached."""
    tool = load_tool('test')

    def no_inference(*args, **kwargs):
        raise AssertionError('the inference pass ran before the arguments were checked')

    monkeypatch.setattr(tool, 'run_test', no_inference)
    monkeypatch.setattr(tool.Config, 'fromfile', no_inference)
    return tool


def run_refused(tester, tiny_checkpoint, *flags) -> str:
    with pytest.raises(SystemExit) as err:
        tester.main(['config-is-not-read.py', tiny_checkpoint, *flags])
    assert isinstance(err.value.code, str), 'a refusal exits with a message (status 1)'
    return err.value.code


def test_misspelled_metric_is_refused_with_a_suggestion(tester, tiny_checkpoint, tmp_path):
    message = run_refused(tester, tiny_checkpoint, '--eval', 'mDcie', '--work-dir', str(tmp_path))
    assert "--eval 'mDcie' is not a metric" in message and "did you mean 'mDice'?" in message
    assert 'mIoU, mDice, mFscore' in message


def test_out_folder_that_cannot_be_created_is_refused(tester, tiny_checkpoint, tmp_path):
    (tmp_path / 'a_file').write_text('')
    out = tmp_path / 'a_file' / 'sub' / 'results.pkl'
    message = run_refused(tester, tiny_checkpoint, '--out', str(out), '--work-dir', str(tmp_path))
    assert message.startswith(f'--out {out}: cannot create the folder {out.parent}')


def test_show_dir_that_cannot_be_created_is_refused(tester, tiny_checkpoint, tmp_path):
    (tmp_path / 'a_file').write_text('')
    message = run_refused(tester, tiny_checkpoint, '--show-dir', str(tmp_path / 'a_file' / 'show'))
    assert message.startswith('--show-dir: cannot create the folder') and 'a_file' in message


def test_out_that_is_a_folder_is_refused(tmp_path):
    (tmp_path / 'x.pkl').mkdir()
    with pytest.raises(ValueError, match=r'is a folder; give a file name such as .*results\.pkl'):
        check_test_args(argparse.Namespace(out=str(tmp_path / 'x.pkl')))


def test_missing_folders_are_created_up_front(tmp_path):
    args = argparse.Namespace(eval=['mDice', 'mIoU'], out=str(tmp_path / 'new' / 'deeper' / 'r.pkl'),
                              show_dir=str(tmp_path / 'show' / 'here'), work_dir=str(tmp_path / 'work'))
    check_test_args(args)
    assert (tmp_path / 'new' / 'deeper').is_dir() and (tmp_path / 'show' / 'here').is_dir()
    assert (tmp_path / 'work').is_dir() and not list((tmp_path / 'show' / 'here').iterdir())  # no probe left


def test_folder_that_cannot_be_written_is_refused(tmp_path, monkeypatch):
    import tempfile

    def read_only(*args, **kwargs):
        raise PermissionError(13, 'Permission denied')

    monkeypatch.setattr(tempfile, 'mkstemp', read_only)
    with pytest.raises(ValueError, match=r'--show-dir: the folder .* is not writable \(Permission denied\)'):
        check_test_args(argparse.Namespace(show_dir=str(tmp_path)))


@pytest.mark.skipif(not hasattr(os, 'geteuid') or os.geteuid() == 0, reason='root may write a read-only folder')
def test_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / 'ro'
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(ValueError, match='is not writable'):
            check_test_args(argparse.Namespace(out=str(folder / 'r.pkl')))
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize('flags, expected', [
    (['--eval', 'mFscore', '--eval-options', 'betta=2'],
     "--eval-options: unknown option 'betta'; did you mean 'beta'? (accepted: beta)"),
    (['--eval', 'mFscore', '--eval-options', 'beta=0'], '--eval-options: beta must be a finite number > 0, got 0'),
    (['--eval', 'mFscore', '--eval-options', 'beta=-1'], 'beta must be a finite number > 0, got -1'),
    (['--eval', 'mFscore', '--eval-options', 'beta=nan'], 'beta must be a finite number > 0, got nan'),
    (['--eval', 'mFscore', '--eval-options', 'beta=two'], "beta must be a finite number > 0, got 'two'"),
    (['--eval', 'mDice', '--eval-options', 'beta=2'], 'beta only changes mFscore; add mFscore to --eval'),
    (['--out', 'r.pkl', '--eval-options', 'beta=2'], '--eval-options need --eval'),
], ids=['typo', 'zero', 'negative', 'nan', 'text', 'without_mfscore', 'without_eval'])
def test_eval_options_are_checked_before_anything_runs(tester, tiny_checkpoint, tmp_path, flags, expected):
    message = run_refused(tester, tiny_checkpoint, *flags, '--work-dir', str(tmp_path))
    assert expected in message, message


@pytest.mark.parametrize('flags, expected', [
    (['--format-only'], '--format-only needs --eval-options imgfile_prefix=FOLDER'),
    (['--format-only', '--eval-options', 'imgfile_prefx=x'],
     "--eval-options: unknown option 'imgfile_prefx' for --format-only; did you mean 'imgfile_prefix'?"),
    (['--format-only', '--eval-options', 'beta=2'], "unknown option 'beta' for --format-only"),
], ids=['no_prefix', 'typo', 'eval_option'])
def test_format_only_options_are_checked_before_anything_runs(tester, tiny_checkpoint, tmp_path, flags, expected):
    message = run_refused(tester, tiny_checkpoint, *flags, '--work-dir', str(tmp_path))
    assert expected in message, message


def test_format_only_folder_that_cannot_be_created_is_refused(tester, tiny_checkpoint, tmp_path):
    (tmp_path / 'a_file').write_text('')
    message = run_refused(tester, tiny_checkpoint, '--format-only', '--eval-options',
                          f'imgfile_prefix={tmp_path / "a_file" / "pngs"}', '--work-dir', str(tmp_path))
    assert message.startswith('--eval-options imgfile_prefix: cannot create the folder'), message
