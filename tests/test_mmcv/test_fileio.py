"""fileio: folders, atomic writes, scans, and .json/.pkl round trips."""
import os
import stat

import numpy as np
import pytest

from mmcv.fileio import atomic_write, check_file_exist, dump, load, mkdir_or_exist, scandir


def test_mkdir_or_exist_creates_parents_and_is_idempotent(tmp_path):
    target = tmp_path / 'a' / 'b' / 'c'
    mkdir_or_exist(target)
    mkdir_or_exist(str(target))
    assert target.is_dir()
    mkdir_or_exist('')  # the current folder: nothing to do


def test_atomic_write_writes_through_a_temp_file_in_the_same_folder(tmp_path):
    path = tmp_path / 'out.txt'
    with atomic_write(path) as f:
        f.write('hello')
        others = [p for p in tmp_path.iterdir() if p.name != 'out.txt']
        assert len(others) == 1 and others[0].parent == tmp_path
        assert not path.exists()
    assert path.read_text() == 'hello'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['out.txt']


def test_atomic_write_keeps_old_file_and_removes_temp_on_error(tmp_path):
    path = tmp_path / 'out.bin'
    path.write_bytes(b'old')
    with pytest.raises(RuntimeError, match='boom'):
        with atomic_write(path, 'wb') as f:
            f.write(b'new, half written')
            raise RuntimeError('boom')
    assert path.read_bytes() == b'old'
    assert [p.name for p in tmp_path.iterdir()] == ['out.bin']


def test_atomic_write_replaces_and_uses_normal_permissions(tmp_path):
    path = tmp_path / 'out.txt'
    path.write_text('old')
    with atomic_write(path) as f:
        f.write('new')
    assert path.read_text() == 'new'
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_atomic_write_rejects_bad_mode_and_missing_folder(tmp_path):
    with pytest.raises(ValueError, match="mode 'w'"):
        with atomic_write(tmp_path / 'x', 'a'):
            pass
    with pytest.raises(FileNotFoundError, match='does not exist'):
        with atomic_write(tmp_path / 'missing' / 'x'):
            pass


@pytest.fixture
def tree(tmp_path):
    for name in ['b.png', 'a.png', 'c.txt', '.hidden.png', 'sub/d.png', 'sub/deeper/e.tif', '.git/f.png']:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text('x')
    return tmp_path


def test_scandir_lists_sorted_relative_paths_skipping_hidden(tree):
    assert list(scandir(tree)) == ['a.png', 'b.png', 'c.txt']
    assert list(scandir(str(tree), '.png')) == ['a.png', 'b.png']
    assert list(scandir(tree, ('.png', '.tif'), recursive=True)) == [
        'a.png', 'b.png', os.path.join('sub', 'd.png'), os.path.join('sub', 'deeper', 'e.tif')]


def test_scandir_errors(tree):
    with pytest.raises(TypeError, match='suffix must be'):
        scandir(tree, ['.png'])
    with pytest.raises(FileNotFoundError, match='not a folder'):
        scandir(tree / 'nope')


def test_check_file_exist(tmp_path):
    path = tmp_path / 'x.txt'
    with pytest.raises(FileNotFoundError, match=str(path)):
        check_file_exist(path)
    with pytest.raises(FileNotFoundError, match='no checkpoint at .*x.txt'):
        check_file_exist(path, 'no checkpoint at {}')
    path.write_text('')
    check_file_exist(path)


@pytest.mark.parametrize('suffix', ['.json', '.pkl', '.pickle'])
def test_dump_load_round_trip(tmp_path, suffix):
    obj = {'a': [1, 2.5, 'x'], 'b': {'c': None, 'd': True}}
    path = tmp_path / f'obj{suffix}'
    dump(obj, path)
    assert load(path) == obj
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_json_dump_accepts_numpy_values(tmp_path):
    dump({'mDice': np.float32(0.5), 'per_class': np.array([1, 2]), 'n': np.int64(3)}, tmp_path / 'm.json')
    assert load(tmp_path / 'm.json') == {'mDice': 0.5, 'per_class': [1, 2], 'n': 3}


def test_pickle_keeps_numpy_arrays(tmp_path):
    dump([np.arange(3)], tmp_path / 'r.pkl')
    np.testing.assert_array_equal(load(tmp_path / 'r.pkl')[0], np.arange(3))


def test_dump_load_errors(tmp_path):
    with pytest.raises(ValueError, match=r"unsupported file type '.yaml'.*\.json"):
        dump({}, tmp_path / 'x.yaml')
    with pytest.raises(FileNotFoundError, match='missing.json'):
        load(tmp_path / 'missing.json')
