"""Nested results (lists, tuples, dicts of numpy arrays, numbers, strings) in one .npz file, read without pickle.

Test results are label maps, probability maps and small per-image records: arrays inside plain containers.
A pickle of them would also be able to hold code that runs when it is loaded, so they are stored as an
``np.savez_compressed`` archive instead: the arrays as members ``arr_0``, ``arr_1``, ... in the order they
appear (a list of label maps reads like the output of ``np.savez(*maps)``), and the containers around
them as JSON text in the member ``__tree__``. Reading uses ``np.load(allow_pickle=False)``: nothing in the
file can run code, whatever its content.

Dataclasses registered with :func:`register_record` (e.g. a segmentor's per-image result) are stored as their
fields under the registered name and read back as that class; only registered names are ever built, so a file
cannot make the reader construct anything else. Files that hold no record are written as version 1, exactly
as before records existed; files with records are version 2.
"""
import dataclasses
import json
import math
import zipfile
from typing import Any, BinaryIO, Callable, Dict, List, Type, TypeVar

import numpy as np

TREE_MEMBER = '__tree__'
FORMAT = 'mmcv.npz_tree'
VERSION = 2  # 2: with records; files without them are still written (and read) as version 1
PLAIN_VERSION = 1
ZIP_MAGIC = b'PK\x03\x04'
_ARRAY_KINDS = 'biufcUS'  # bool, ints, floats, complex, text: numpy stores them without pickle


_RECORD_TYPES: Dict[str, type] = {}
_RECORD_NAMES: Dict[type, str] = {}
T = TypeVar('T')


def register_record(name: str) -> Callable[[Type[T]], Type[T]]:
    """Class decorator: store instances of the dataclass as ``name`` and its fields, read them back as the class.

    ``name`` is what the file says (keep it when the class moves); giving it to a second class is an error.
    """

    def register(cls: Type[T]) -> Type[T]:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f'register_record({name!r}): {cls.__name__} is not a dataclass')
        taken = _RECORD_TYPES.get(name)
        if taken is not None and _class_path(taken) != _class_path(cls):  # the same path: a reloaded module
            raise ValueError(f'register_record: the name {name!r} is taken by {_class_path(taken)}')
        _RECORD_TYPES[name] = cls
        _RECORD_NAMES[cls] = name
        return cls

    return register


def _class_path(cls: type) -> str:
    return f'{cls.__module__}.{cls.__qualname__}'


def _article(name: str) -> str:
    return f'an {name}' if name[0].lower() in 'aeiou' else f'a {name}'


def _encode(obj: Any, arrays: List[np.ndarray], where: str, target: str) -> Any:
    """JSON for ``obj``: None, bools, text and finite numbers as themselves, lists as JSON lists, the rest as
    one-key objects ({'tuple': [...]}, {'dict': [[key, value], ...]}, {'array': i}, {'scalar': i},
    {'record': [name, [[field, value], ...]]})."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        name = _RECORD_NAMES.get(type(obj))
        if name is None:
            raise TypeError(f'cannot store {_article(type(obj).__name__)} at {where} in {target}: a dataclass must '
                            'be registered with mmcv.npz_tree.register_record to be stored')
        return {'record': [name, [[field.name, _encode(getattr(obj, field.name), arrays,
                                                       f'{where}.{field.name}', target)]
                                  for field in dataclasses.fields(obj)]]}
    if isinstance(obj, (np.ndarray, np.generic)):
        array = np.asarray(obj)
        if array.dtype.kind not in _ARRAY_KINDS:
            raise TypeError(f'cannot store {_article(array.dtype.name)} array at {where} in {target}: only arrays '
                            'of numbers, booleans or text can be stored without pickle')
        arrays.append(array)
        return {'scalar' if isinstance(obj, np.generic) else 'array': len(arrays) - 1}
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj) if math.isfinite(obj) else {'float': repr(float(obj))}
    if isinstance(obj, list):
        return [_encode(value, arrays, f'{where}[{i}]', target) for i, value in enumerate(obj)]
    if isinstance(obj, tuple):
        return {'tuple': [_encode(value, arrays, f'{where}[{i}]', target) for i, value in enumerate(obj)]}
    if isinstance(obj, dict):
        return {'dict': [[_encode(key, arrays, f'{where} (a key)', target),
                          _encode(value, arrays, f'{where}[{key!r}]', target)] for key, value in obj.items()]}
    raise TypeError(f'cannot store {_article(type(obj).__name__)} at {where} in {target}: results files hold numpy '
                    'arrays, numbers, strings, None, and lists, tuples and dicts of them')


def save_tree(obj: Any, file: BinaryIO, target: str = 'the file') -> None:
    """Write ``obj`` to the open binary ``file``; TypeError (naming ``target`` and the place in ``obj``) for a
    value that cannot be stored without pickle. Nothing is written before the whole of ``obj`` is checked."""
    arrays: List[np.ndarray] = []
    tree = _encode(obj, arrays, 'results', target)
    version = VERSION if _has_record(tree) else PLAIN_VERSION
    header = json.dumps({'format': FORMAT, 'version': version, 'tree': tree}, allow_nan=False)
    members: Dict[str, np.ndarray] = {f'arr_{i}': array for i, array in enumerate(arrays)}
    members[TREE_MEMBER] = np.array(header)
    np.savez_compressed(file, **members)


def _has_record(node: Any) -> bool:
    if isinstance(node, list):
        return any(_has_record(value) for value in node)
    if isinstance(node, dict):
        return 'record' in node or any(_has_record(value) for value in node.values())
    return False


def is_tree_file(path: str) -> bool:
    """Whether ``path`` starts like a zip archive (what :func:`save_tree` writes)."""
    with open(path, 'rb') as f:
        return f.read(len(ZIP_MAGIC)) == ZIP_MAGIC


class _Corrupt(ValueError):
    """A malformed tree; turned into one 'cannot read PATH' error by :func:`load_tree`."""


def _decode(node: Any, npz) -> Any:
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [_decode(value, npz) for value in node]
    if not isinstance(node, dict) or len(node) != 1:
        raise _Corrupt(f'unexpected node {str(node)[:80]!r} in {TREE_MEMBER}')
    (kind, value), = node.items()
    if kind in ('array', 'scalar'):
        name = f'arr_{value}'
        if not isinstance(value, int) or name not in npz.files:
            raise _Corrupt(f'{TREE_MEMBER} refers to a missing array {name}')
        array = npz[name]
        return array[()] if kind == 'scalar' else array
    if kind == 'float' and value in ('nan', 'inf', '-inf'):
        return float(value)
    if kind == 'tuple' and isinstance(value, list):
        return tuple(_decode(item, npz) for item in value)
    if kind == 'dict' and isinstance(value, list) and all(isinstance(p, list) and len(p) == 2 for p in value):
        return {_decode(key, npz): _decode(item, npz) for key, item in value}
    if kind == 'record' and isinstance(value, list) and len(value) == 2 and isinstance(value[1], list):
        return _decode_record(value[0], value[1], npz)
    raise _Corrupt(f'unexpected node {kind!r} in {TREE_MEMBER}')


def _decode_record(name: Any, fields: list, npz) -> Any:
    cls = _RECORD_TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise _Corrupt(f'it holds a record {name!r} that no imported module has registered (import the package '
                       'that wrote the file first)')
    if not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in fields):
        raise _Corrupt(f'malformed fields of a {name!r} record in {TREE_MEMBER}')
    try:
        return cls(**{field: _decode(item, npz) for field, item in fields})
    except (TypeError, ValueError) as e:
        raise _Corrupt(f'a {name!r} record that its class refuses: {e}') from e


def load_tree(path: str) -> Any:
    """Read what :func:`save_tree` wrote to ``path``; ValueError 'cannot read PATH: ...' (one line) if the
    file is not such an archive or is truncated or corrupt."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            if TREE_MEMBER not in npz.files:
                shown = ', '.join(npz.files[:5]) + (' ...' if len(npz.files) > 5 else '')
                raise _Corrupt(f'a zip archive without the {TREE_MEMBER} member of a results file (members: '
                               f'{shown or "none"}); a PyTorch checkpoint or another .npz?')
            header = json.loads(str(npz[TREE_MEMBER]))
            if not isinstance(header, dict) or header.get('format') != FORMAT or 'tree' not in header:
                raise _Corrupt(f'its {TREE_MEMBER} member is not a {FORMAT} header')
            if header.get('version') not in (PLAIN_VERSION, VERSION):
                raise _Corrupt(f'{FORMAT} version {header.get("version")!r}; this version reads '
                               f'{PLAIN_VERSION} and {VERSION}')
            return _decode(header['tree'], npz)
    except _Corrupt as e:
        raise ValueError(f'cannot read {path}: {e}') from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, TypeError, ValueError, RecursionError) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ValueError(f'cannot read {path}: the results file is truncated or corrupt ({reason})') from e
