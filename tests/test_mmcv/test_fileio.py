"""fileio: folders, atomic writes, scans, .json/.pkl round trips, and .pkl files that load without unpickling."""
import os
import pickle
import re
import stat
import zipfile

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


class CodeOnUnpickle:
    """What an attacker puts in a results file: unpickling it creates ``marker`` (any call would do)."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return open, (self.marker, 'w')


def assert_same_tree(loaded, expected, where='results'):
    """Equal values of the same types, arrays of the same dtype and shape, all the way down."""
    assert type(loaded) is type(expected), f'{where}: {type(loaded).__name__} != {type(expected).__name__}'
    if isinstance(expected, (np.ndarray, np.generic)):
        assert loaded.dtype == expected.dtype and loaded.shape == expected.shape, where
        np.testing.assert_array_equal(loaded, expected, err_msg=where)
    elif isinstance(expected, dict):
        assert list(loaded) == list(expected), where
        for key in expected:
            assert_same_tree(loaded[key], expected[key], f'{where}[{key!r}]')
    elif isinstance(expected, (list, tuple)):
        assert len(loaded) == len(expected), where
        for index, (a, b) in enumerate(zip(loaded, expected)):
            assert_same_tree(a, b, f'{where}[{index}]')
    elif isinstance(expected, float) and np.isnan(expected):
        assert np.isnan(loaded), where
    else:
        assert loaded == expected, where


# What tools/test.py --out and the distributed result collection store: label maps, prediction dicts,
# pre-eval records (confusion matrix + FOV counts), mmseg's 4-tuples of areas, and plain values.
RESULTS = [np.arange(6, dtype=np.int64).reshape(2, 3),
           {'pred': np.zeros((2, 2), np.uint8), 'prob': np.full((2, 2), 0.25, np.float16)},
           {'confusion': np.eye(2, dtype=np.int64), 'fov': {'counts': np.arange(4), 'hist_pos': np.ones(5)}},
           (np.zeros(2), np.ones(2), np.full(2, 2.0), np.full(2, 3.0)),
           np.float32(0.5), np.int64(3), 1, 2.5, float('nan'), 'sample0', None, True, [], {},
           {1: 'an int key', (2, 3): 'a tuple key'}, np.array(['a', 'bc']), np.array(7)]


@pytest.mark.parametrize('suffix', ['.pkl', '.pickle', '.npz'])
def test_results_files_are_npz_containers_that_load_without_unpickling(tmp_path, suffix):
    path = tmp_path / f'results{suffix}'
    dump(RESULTS, path)
    assert zipfile.is_zipfile(path)
    with pytest.raises(pickle.UnpicklingError):  # not a pickle, whatever the suffix says
        with open(path, 'rb') as f:
            pickle.load(f)
    with np.load(path, allow_pickle=False) as npz:  # plain numpy reads the arrays, in order
        np.testing.assert_array_equal(npz['arr_0'], RESULTS[0])
        np.testing.assert_array_equal(npz['arr_1'], RESULTS[1]['pred'])
    assert_same_tree(load(path), RESULTS)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_plain_pickle_is_refused_unless_asked_for_and_runs_nothing(tmp_path):
    marker = tmp_path / 'code_ran'
    crafted = tmp_path / 'results.pkl'
    crafted.write_bytes(pickle.dumps([CodeOnUnpickle(str(marker))]))
    with pytest.raises(ValueError) as info:
        load(crafted)
    message = str(info.value)
    assert str(crafted) in message and 'plain pickle' in message and 'arbitrary code' in message
    assert 'unsafe_pickle=True' in message and '\n' not in message
    assert not marker.exists()

    mmseg0x = tmp_path / 'mmseg0x.pkl'  # what mmseg 0.x's tools/test.py --out wrote
    mmseg0x.write_bytes(pickle.dumps([np.arange(3)]))
    with pytest.warns(UserWarning, match=re.escape(str(mmseg0x)) + '.*arbitrary code'):
        np.testing.assert_array_equal(load(mmseg0x, unsafe_pickle=True)[0], np.arange(3))


def truncated_results(path):
    dump([np.arange(1000)] * 3, path)
    content = path.read_bytes()
    path.write_bytes(content[:len(content) // 2])


def torch_checkpoint(path):
    import torch
    torch.save({'state_dict': {'w': torch.zeros(1)}}, path)


@pytest.mark.parametrize('make, message', [
    (lambda p: p.write_bytes(b'not a results file'), 'not a results file'),
    (lambda p: p.write_bytes(b''), 'empty'),
    (truncated_results, 'truncated or corrupt'),
    (torch_checkpoint, 'zip archive without the __tree__ member'),
], ids=['garbage', 'empty', 'truncated', 'torch_checkpoint'])
def test_corrupt_or_foreign_results_file_is_one_clear_error(tmp_path, make, message):
    path = tmp_path / 'results.pkl'
    make(path)
    with pytest.raises(ValueError) as info:
        load(path)
    assert str(info.value).startswith(f'cannot read {path}: ') and message in str(info.value), str(info.value)
    assert '\n' not in str(info.value)


def test_corrupt_pickle_asked_for_is_one_clear_error(tmp_path):
    path = tmp_path / 'results.pkl'
    path.write_bytes(pickle.dumps([np.arange(100)])[:40])
    with pytest.warns(UserWarning), pytest.raises(ValueError, match=f'cannot unpickle {re.escape(str(path))}: '):
        load(path, unsafe_pickle=True)


@pytest.mark.parametrize('obj, what', [
    ([1, object()], r'an object at results\[1\]'),
    ({'pred': np.array([{}], dtype=object)}, r"an object array at results\['pred'\]"),
    ({'x': {'y': set()}}, r"a set at results\['x'\]\['y'\]")])
def test_dump_refuses_what_it_cannot_store_safely_and_writes_nothing(tmp_path, obj, what):
    with pytest.raises(TypeError, match=f'cannot store {what} in {re.escape(str(tmp_path / "r.pkl"))}'):
        dump(obj, tmp_path / 'r.pkl')
    assert not list(tmp_path.iterdir())
