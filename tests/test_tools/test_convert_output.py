"""What a converter may replace and remove: --force, the manifest, symlinked and current output folders, signals,
stale temporary folders and a full disk behind --tmp_dir (tested with the DRIVE converter on synthetic zips;
every converter writes through the same OutputTree)."""
import errno
import json
import os
import os.path as osp
import shutil
import signal
import socket
import subprocess
import sys

import pytest

from mmseg.utils.synthetic import make_synthetic_drive

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'convert_datasets', 'drive.py')
MANIFEST = '.converter_manifest.json'


@pytest.fixture(scope='module')
def zips(tmp_path_factory):
    return make_synthetic_drive(str(tmp_path_factory.mktemp('zips')), num_train=2, num_test=2, size=(64, 64))


@pytest.fixture
def tool(load_tool):
    return load_tool('convert_datasets/drive')


def _tree(root):
    return sorted(osp.relpath(osp.join(d, f), root) for d, _, files in os.walk(root) for f in files)


def _error_line(capsys):
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith('error: ')]
    assert len(lines) == 1 and 'Traceback' not in err, err
    return lines[0]


def _convert(tool, zips, out, *extra):
    assert tool.main([*zips, '-o', str(out), *extra]) == 0


def test_manifest_lists_every_file_and_is_the_converters_mark(tool, zips, tmp_path):
    out = tmp_path / 'DRIVE'
    _convert(tool, zips, out)
    manifest = json.loads((out / MANIFEST).read_text())
    assert sorted(manifest['files']) == [f for f in _tree(out) if f != MANIFEST]
    assert manifest['converter'] == 'DRIVE' and manifest['inputs'] == [osp.abspath(z) for z in zips]
    _convert(tool, zips, out, '--force')  # its own output: replaced
    assert sorted(os.listdir(tmp_path)) == ['DRIVE']


def test_force_refuses_a_folder_the_converter_did_not_write(tool, zips, tmp_path, capsys):
    out = tmp_path / 'DRIVE'
    (out / 'sub').mkdir(parents=True)
    (out / 'notes.txt').write_text('mine')
    (out / 'sub' / 'scan.png').write_bytes(b'png')
    assert tool.main([*zips, '-o', str(out), '--force']) == 1
    line = _error_line(capsys)
    assert str(out) in line and MANIFEST in line and 'notes.txt' in line and 'sub/scan.png' in line, line
    assert 'by hand' in line  # also what a folder of an older converter (no manifest) gets
    assert (out / 'notes.txt').read_text() == 'mine' and (out / 'sub' / 'scan.png').exists()
    assert sorted(os.listdir(tmp_path)) == ['DRIVE']


def test_force_refuses_files_added_to_a_converted_folder(tool, zips, tmp_path, capsys):
    out = tmp_path / 'DRIVE'
    _convert(tool, zips, out)
    (out / 'images' / 'training' / 'extra.png').write_bytes(b'mine')
    assert tool.main([*zips, '-o', str(out), '--force']) == 1
    assert 'images/training/extra.png' in _error_line(capsys)
    assert (out / 'images' / 'training' / 'extra.png').read_bytes() == b'mine'


def test_force_never_removes_an_input_inside_the_output_folder(tool, zips, tmp_path, capsys):
    out = tmp_path / 'DRIVE'
    _convert(tool, zips, out)
    inputs = []
    for path in zips:
        shutil.copy(path, out)
        inputs.append(str(out / osp.basename(path)))
    assert tool.main([*inputs, '-o', str(out), '--force']) == 1
    line = _error_line(capsys)
    assert 'training.zip' in line and 'inside the output folder' in line, line
    assert all(open(a, 'rb').read() == open(b, 'rb').read() for a, b in zip(inputs, zips))


def test_symlinked_output_is_followed_and_kept(tool, zips, tmp_path):
    target = tmp_path / 'disk' / 'DRIVE'
    target.parent.mkdir()
    (tmp_path / 'data').mkdir()
    link = tmp_path / 'data' / 'DRIVE'
    link.symlink_to(target, target_is_directory=True)
    _convert(tool, zips, link)  # a link to a folder that does not exist yet
    _convert(tool, zips, link, '--force')
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert (target / MANIFEST).exists() and (target / 'images' / 'training' / '21.png').exists()
    assert os.listdir(tmp_path / 'data') == ['DRIVE'] and os.listdir(tmp_path / 'disk') == ['DRIVE']


def test_current_folder_as_output_is_refused_without_leaks(tool, zips, tmp_path, capsys, monkeypatch):
    out = tmp_path / 'DRIVE'
    _convert(tool, zips, out)
    before = _tree(out)
    monkeypatch.chdir(out)
    assert tool.main([*zips, '-o', '.', '--force']) == 1
    assert 'current folder' in _error_line(capsys)
    assert sorted(os.listdir(tmp_path)) == ['DRIVE'] and _tree(out) == before


def test_full_disk_behind_tmp_dir_on_another_filesystem_is_one_short_line(tool, zips, tmp_path, monkeypatch,
                                                                          capsys):
    work = tmp_path / 'work'
    real_stat = os.stat

    def other_device(path, *args, **kwargs):  # the files under work/ look as if on another file system
        result = real_stat(path, *args, **kwargs)
        if str(path).startswith(str(work)):
            fields = list(result)
            fields[2] += 1  # st_dev
            extra = ('st_atime', 'st_mtime', 'st_ctime', 'st_atime_ns', 'st_mtime_ns', 'st_ctime_ns', 'st_blksize',
                     'st_blocks', 'st_rdev')
            return os.stat_result(fields, {name: getattr(result, name) for name in extra})
        return result

    def full_disk(src, dst, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), dst)

    monkeypatch.setattr(os, 'stat', other_device)
    monkeypatch.setattr(shutil, 'copyfile', full_disk)
    out = tmp_path / 'DRIVE'
    assert tool.main([*zips, '-o', str(out), '--tmp_dir', str(work)]) == 1
    line = _error_line(capsys)
    assert len(line) < 300 and str(out) in line and 'no space left' in line.lower(), line
    assert os.listdir(tmp_path) == ['work'] and os.listdir(work) == []


# A converter run in a child process, stopped after its third PNG (prints 'ready', then waits).
CHILD = """
import sys, time
sys.path.insert(0, {repo!r})
import importlib.util
from mmseg.datasets.converters import output
spec = importlib.util.spec_from_file_location('tool', {tool!r})
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)
real_write, count = output.OutputTree.write, []
def write(self, *args, **kwargs):
    real_write(self, *args, **kwargs)
    count.append(1)
    if len(count) == 3:
        print('ready', flush=True)
        time.sleep(120)
output.OutputTree.write = write
sys.exit(tool.main(sys.argv[1:]))
"""


def _start_child(zips, out):
    child = subprocess.Popen([sys.executable, '-c', CHILD.format(repo=REPO, tool=TOOL), *zips, '-o', str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in child.stdout:
        if line.strip() == 'ready':
            return child
    raise AssertionError(f'the converter ended before its third PNG: {child.stderr.read()}')


def _temp_folders(parent):
    return sorted(n for n in os.listdir(parent) if n.startswith('.DRIVE.'))


@pytest.mark.slow
@pytest.mark.parametrize('signum, status', [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_sigterm_and_ctrl_c_clean_up_and_exit_non_zero(zips, tmp_path, signum, status):
    child = _start_child(zips, tmp_path / 'DRIVE')
    assert _temp_folders(tmp_path)  # the partial tree exists while it runs
    child.send_signal(signum)
    _, err = child.communicate(timeout=60)
    assert child.returncode == status, err
    lines = [line for line in err.splitlines() if line.startswith('error: ')]
    assert len(lines) == 1 and 'interrupted' in lines[0] and 'Traceback' not in err, err
    assert os.listdir(tmp_path) == []


@pytest.mark.slow
def test_stale_temp_folders_of_dead_runs_are_removed_and_logged(tool, zips, tmp_path, capsys):
    out = tmp_path / 'DRIVE'
    (tmp_path / '.DRIVE.tmp.mine').mkdir()  # looks alike but has no owner record: not ours, kept
    live = _start_child(zips, out)
    try:
        running = [n for n in _temp_folders(tmp_path) if n != '.DRIVE.tmp.mine']
        assert len(running) == 1
        killed = _start_child(zips, out)
        killed.kill()  # SIGKILL: no clean-up possible
        killed.wait(timeout=60)
        stale = [n for n in _temp_folders(tmp_path) if n not in running and n != '.DRIVE.tmp.mine']
        assert len(stale) == 1
        _convert(tool, zips, out)
        printed = capsys.readouterr().out
        lines = [line for line in printed.splitlines() if 'removed the stale' in line]
        assert len(lines) == 1 and stale[0] in lines[0], printed
        assert _temp_folders(tmp_path) == sorted(['.DRIVE.tmp.mine', *running])  # the live run's is kept
    finally:
        live.kill()
        live.wait(timeout=60)
    _convert(tool, zips, out, '--force')
    lines = [line for line in capsys.readouterr().out.splitlines() if 'removed the stale' in line]
    assert len(lines) == 1 and running[0] in lines[0]
    assert _temp_folders(tmp_path) == ['.DRIVE.tmp.mine']


def _dead_pid():
    child = subprocess.Popen([sys.executable, '-c', 'pass'])
    child.wait(timeout=60)
    return child.pid


def test_output_parked_by_a_run_killed_between_its_renames_is_restored(tool, zips, tmp_path, capsys):
    out = tmp_path / 'DRIVE'
    _convert(tool, zips, out)
    parked = tmp_path / '.DRIVE.old.abcd1234'
    parked.mkdir()
    out.rename(parked / 'tree')  # what a SIGKILL between "output -> parked" and "new tree -> output" leaves
    owner = dict(pid=_dead_pid(), host=socket.gethostname(), kind='old', out_dir=str(out))
    (parked / 'owner.json').write_text(json.dumps(owner))
    assert tool.main([*zips, '-o', str(out)]) == 1  # restored first, so it is an existing output again
    printed, err = capsys.readouterr()
    assert f'restored {out}' in printed and 'already exists' in err
    assert (out / MANIFEST).exists() and sorted(os.listdir(tmp_path)) == ['DRIVE']


def test_tmp_dir_inside_the_output_folder_is_refused(tool, zips, tmp_path, capsys):
    out = tmp_path / 'DRIVE'
    _convert(tool, zips, out)
    assert tool.main([*zips, '-o', str(out), '--force', '--tmp_dir', str(out / 'work')]) == 1
    assert '--tmp_dir' in _error_line(capsys) and not (out / 'work').exists()


def test_a_signal_during_the_final_renames_is_held_back():
    from mmseg.datasets.converters.signals import Interrupted, handle_signals, uninterrupted
    with handle_signals():
        with pytest.raises(Interrupted, match='SIGTERM: the output was already complete') as info:
            with uninterrupted(complete=True):
                os.kill(os.getpid(), signal.SIGTERM)
                for _ in range(1000):  # Python runs signal handlers between bytecodes: give it the chance
                    pass
                done = True
        assert done and info.value.signum == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
