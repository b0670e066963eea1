"""npz_tree records: registered dataclasses (such as mmseg's SegResult) stored by name and read back as themselves."""
import json
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pytest

from mmcv.fileio import dump, load
from mmcv.npz_tree import TREE_MEMBER, register_record


@register_record('tests.Point')
@dataclass
class Point:
    xy: np.ndarray
    label: Optional[str] = None

    def __post_init__(self):
        if self.xy.shape != (2,):
            raise ValueError(f'xy must hold 2 values, got {self.xy.shape}')


@dataclass
class Unregistered:
    value: int


def header(path) -> dict:
    with np.load(path, allow_pickle=False) as npz:
        return json.loads(str(npz[TREE_MEMBER]))


def rewrite_header(path, old: str, new: str) -> None:
    """Edit the JSON of the tree (and nothing else), as a foreign or damaged file would have it."""
    with np.load(path, allow_pickle=False) as npz:
        members = {name: npz[name] for name in npz.files}
    members[TREE_MEMBER] = np.array(str(members[TREE_MEMBER]).replace(old, new))
    with open(path, 'wb') as f:
        np.savez_compressed(f, **members)


def test_registered_dataclasses_read_back_as_their_class(tmp_path):
    path = tmp_path / 'results.pkl'
    dump([Point(np.array([1.5, 2.0])), {'p': Point(np.array([3, 4]), 'b')}, (Point(np.zeros(2)), 7)], path)
    first, mapping, (third, seven) = load(path)
    assert [type(r) for r in (first, mapping['p'], third)] == [Point] * 3 and seven == 7
    np.testing.assert_array_equal(first.xy, [1.5, 2.0])
    assert first.label is None and mapping['p'].label == 'b' and mapping['p'].xy.dtype == np.array([3, 4]).dtype
    assert header(path)['version'] == 2


def test_files_without_records_keep_version_1_for_older_readers(tmp_path):
    path = tmp_path / 'results.pkl'
    dump([np.arange(3), {'confusion': np.eye(2)}], path)
    assert header(path)['version'] == 1


def test_an_unregistered_dataclass_is_refused_naming_its_place_and_writes_nothing(tmp_path):
    path = tmp_path / 'results.pkl'
    with pytest.raises(TypeError, match=r'cannot store an Unregistered at results\[1\] in .*register_record'):
        dump([1, Unregistered(3)], path)
    with pytest.raises(TypeError, match=r'an object at results\[0\]\.label in'):
        dump([Point(np.zeros(2), label=object())], path)
    assert not path.exists()


@pytest.mark.parametrize('old, new, message', [
    ('"tests.Point"', '"tests.Nobody"', "it holds a record 'tests.Nobody' that no imported module has registered"),
    ('"xy"', '"z"', "a 'tests.Point' record that its class refuses"),
    ('{"array": 0}', '{"array": 1}', "a 'tests.Point' record that its class refuses: xy must hold 2 values"),
], ids=['unknown_name', 'unknown_field', 'invalid_value'])
def test_a_record_that_cannot_be_rebuilt_is_one_clear_error(tmp_path, old, new, message):
    path = tmp_path / 'results.pkl'
    dump([Point(np.zeros(2)), np.zeros(3)], path)
    rewrite_header(path, old, new)
    with pytest.raises(ValueError) as info:
        load(path)
    assert str(info.value).startswith(f'cannot read {path}: ') and message in str(info.value), str(info.value)


def test_a_record_name_belongs_to_one_class():
    @dataclass
    class Other:
        xy: np.ndarray

    with pytest.raises(ValueError, match=r"the name 'tests\.Point' is taken by \S*test_npz_tree\.Point$"):
        register_record('tests.Point')(Other)
    with pytest.raises(TypeError, match='is not a dataclass'):
        register_record('tests.Plain')(type('Plain', (), {}))
