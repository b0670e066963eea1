"""Config files: Python files of plain data that inherit from each other through ``_base_``.

A config file is executed in a namespace of its own; its public names become the config (names
starting with '_', modules, functions and classes are left out). It may import the standard
library, never the project: configs are data. Inheritance:

* ``_base_ = 'a.py'`` or ``['a.py', 'b.py']`` (relative to the file): the bases are loaded first and
  merged in order (two bases must not define the same top-level key); the file's dicts are then
  merged into the bases' dicts key by key. ``_delete_=True`` in a dict replaces the base's dict.
* ``{{ _base_.crop_size }}`` (also ``{{ _base_.model.backbone }}``) is replaced by the base's value;
  the file may equally use ``_base_.crop_size`` or ``_base_['crop_size']`` as a Python expression.

A public name is assigned once per file: a second plain ``x = ...`` would silently drop the first, so
it is an error (changing it in place, ``x.insert(...)`` or ``x += ...``, or a rebinding that reads it,
``x = [t for t in x if ...]``, is fine). ``custom_imports = dict(imports=['my_pkg.my_loss'])`` makes
:meth:`Config.fromfile` import those modules, so components they register are found by ``type``.
"""
import argparse
import ast
import copy
import difflib
import importlib
import keyword
import math
import os.path as osp
import re
import types
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from mmcv.fileio import atomic_write, dump

BASE_KEY = '_base_'
DELETE_KEY = '_delete_'
CUSTOM_IMPORTS_KEY = 'custom_imports'
RESERVED_KEYS = ('filename', 'text', 'pretty_text')
PROJECT_PACKAGES = ('mmcv', 'mmseg')
LINE_WIDTH = 100
#: Top-level keys that the tools (tools/*.py) and mmseg.apis read or set besides the config file's own
#: keys (``work_dir``, ``seed``, ...): ``--cfg-options`` may add them without a warning. A test reads those
#: files and fails when one reads a top-level key missing here, so the new-key warning stays true.
TOOL_KEYS = frozenset({
    'auto_resume', 'channels_last', 'checkpoint_config', 'cudnn_benchmark', CUSTOM_IMPORTS_KEY, 'custom_hooks',
    'data', 'dist_params', 'evaluation', 'find_unused_parameters', 'gpu_ids', 'load_from', 'load_from_partial',
    'log_config', 'log_level', 'lr_config', 'model', 'momentum_config', 'optimizer', 'optimizer_config',
    'resume_from', 'runner', 'seed', 'test_cfg', 'test_set', 'train_cfg', 'work_dir', 'workflow',
})

_BASE_REF = re.compile(r'\{\{\s*' + BASE_KEY + r'\.(\w+(?:\.\w+)*)\s*\}\}')
_NOT_CONFIG_TYPES = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type)
_MISSING = object()


class ConfigDict(dict):
    """A dict whose keys are also attributes; nested dicts (also inside lists/tuples) are ConfigDicts."""

    __slots__ = ()

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__()
        self.update(*args, **kwargs)

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, _to_config(value))

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def copy(self) -> 'ConfigDict':
        return ConfigDict(self)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f'ConfigDict has no key {name!r}; its keys are {list(self)}') from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(f'ConfigDict has no key {name!r}; its keys are {list(self)}') from None

    def to_dict(self) -> dict:
        """A plain-dict copy (nested ConfigDicts included)."""
        return _to_plain(self)


def _to_config(value: Any) -> Any:
    if isinstance(value, dict) and not isinstance(value, ConfigDict):
        return ConfigDict(value)
    if isinstance(value, list):
        return [_to_config(v) for v in value]
    if isinstance(value, tuple) and type(value) is tuple:
        return tuple(_to_config(v) for v in value)
    return value


def _to_plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_plain(v) for v in value]
    if type(value) is tuple:
        return tuple(_to_plain(v) for v in value)
    return value


def _strip_delete(value: Any) -> Any:
    """``value`` without ``_delete_`` keys (they only steer merging)."""
    if isinstance(value, dict):
        return ConfigDict({k: _strip_delete(v) for k, v in value.items() if k != DELETE_KEY})
    if isinstance(value, list):
        return [_strip_delete(v) for v in value]
    if type(value) is tuple:
        return tuple(_strip_delete(v) for v in value)
    return value


# ----------------------------------------------------------------------------------------- merging

def _merge(child: dict, base: Union[dict, list], path: str, allow_list_keys: bool) -> Union[dict, list]:
    """``base`` updated by ``child`` (neither is modified); ``path`` is base's dotted key, for errors."""
    if isinstance(base, list):
        merged_list = list(base)
        for key, value in child.items():
            key_path = f'{path}.{key}'
            if not (isinstance(key, str) and key.isdigit() and int(key) < len(base)):
                raise KeyError(f'{key_path}: {path} is a list of length {len(base)}, '
                               f'so the key after it must be an index from 0 to {len(base) - 1}')
            merged_list[int(key)] = _merged_value(value, base[int(key)], key_path, allow_list_keys)
        return merged_list
    merged = ConfigDict(base)
    for key, value in child.items():
        key_path = f'{path}.{key}' if path else str(key)
        merged[key] = _merged_value(value, merged.get(key, _MISSING), key_path, allow_list_keys)
    return merged


def _merged_value(value: Any, old: Any, key_path: str, allow_list_keys: bool) -> Any:
    if not isinstance(value, dict):
        return _strip_delete(value)
    value = dict(value)
    replace = value.pop(DELETE_KEY, False)
    if old is _MISSING or replace:
        return _strip_delete(value)
    if isinstance(old, dict) or (allow_list_keys and isinstance(old, list)):
        return _merge(value, old, key_path, allow_list_keys)
    raise TypeError(f'cannot merge a dict into {key_path}: it holds a value of type {type(old).__name__} '
                    f'({old!r}), not a dict')


# ------------------------------------------------------------------------------------ file loading

def _check_config_path(path: str, wanted_by: Optional[str] = None) -> None:
    if not osp.isfile(path):
        origin = f' (a {BASE_KEY} of {wanted_by})' if wanted_by else ''
        problem = 'is not a file' if osp.exists(path) else 'does not exist'
        raise FileNotFoundError(f'config file {path}{origin} {problem}')
    if not path.endswith('.py'):
        raise ValueError(f'config file {path} must be a .py file')


def _substitute_base_refs(source: str) -> Tuple[str, List[str]]:
    """Turn ``{{ _base_.a.0 }}`` into the expression ``_base_['a'][0]``; return the new text and keys."""
    keys = [m.group(1) for m in _BASE_REF.finditer(source)]

    def to_expression(match: re.Match) -> str:
        parts = match.group(1).split('.')
        return BASE_KEY + ''.join(f'[{p}]' if p.isdigit() else f'[{p!r}]' for p in parts)

    return _BASE_REF.sub(to_expression, source), keys


def _parse(source: str, filename: str) -> ast.Module:
    try:
        return ast.parse(source, filename=filename)
    except SyntaxError as e:
        raise SyntaxError(f'invalid config {filename}, line {e.lineno}: {e.msg}',
                          (filename, e.lineno, e.offset, e.text)) from None


def _check_imports(tree: ast.Module, filename: str) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or '']
        else:
            continue
        for name in names:
            if name.split('.')[0] in PROJECT_PACKAGES:
                raise ImportError(f'{filename}, line {node.lineno}: configs are data and must not import '
                                  f'the project ({name}); refer to components by dict(type=...) instead')


def _assigned_names(node: ast.stmt) -> List[str]:
    """The names a top-level ``x = ...`` / ``x: T = ...`` statement binds (tuple targets unpacked)."""
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        targets = [node.target]
    else:
        return []
    names = []
    while targets:
        target = targets.pop(0)
        if isinstance(target, ast.Name):
            names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            targets.extend(target.elts)
    return names


def _reads(node: ast.stmt, name: str) -> bool:
    value = getattr(node, 'value', None)
    return value is not None and any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
                                     for n in ast.walk(value))


def _check_single_assignment(tree: ast.Module, filename: str) -> None:
    """Refuse a public top-level name bound twice by plain assignment: the first value would be lost.

    Changing a value in place (``x.insert(...)``, ``x += ...``, ``x['k'] = ...``) keeps what was there,
    and a rebinding that reads the name (``x = [t for t in x if ...]``) uses it on purpose: both are allowed.
    """
    first_line: Dict[str, int] = {}
    for node in tree.body:
        for name in _assigned_names(node):
            if name.startswith('_'):
                continue
            if name in first_line and not _reads(node, name):
                raise ValueError(
                    f'{filename}: {name!r} is assigned twice at the top level (line {first_line[name]} and '
                    f'line {node.lineno}); the second assignment replaces the first, whose keys would be '
                    f'silently lost. Merge them into one assignment (or change the value in place).')
            first_line.setdefault(name, node.lineno)


def _pop_base_names(tree: ast.Module, filename: str) -> List[str]:
    """Remove the top-level ``_base_ = ...`` statement from ``tree``; return the base paths it names."""
    found = [node for node in tree.body if isinstance(node, ast.Assign) and len(node.targets) == 1
             and isinstance(node.targets[0], ast.Name) and node.targets[0].id == BASE_KEY]
    if not found:
        return []
    if len(found) > 1:
        raise ValueError(f'{filename}: {BASE_KEY} is assigned {len(found)} times '
                         f'(lines {", ".join(str(n.lineno) for n in found)}); assign it once')
    node = found[0]
    try:
        value = ast.literal_eval(node.value)
    except ValueError:
        value = None
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise TypeError(f'{filename}, line {node.lineno}: {BASE_KEY} must be a path or a list of paths '
                        f'written as string literals')
    tree.body.remove(node)
    return list(names)


def _load_bases(names: List[str], filename: str, chain: Tuple[str, ...]) -> Tuple[ConfigDict, List[str]]:
    """Load and merge the base files of ``filename``; return the merged dict and their texts."""
    merged, texts, owner = ConfigDict(), [], {}
    for name in names:
        path = osp.normpath(osp.join(osp.dirname(filename), osp.expanduser(name)))
        _check_config_path(path, wanted_by=filename)
        base_dict, base_text = _load_file(path, chain)
        for key in base_dict:
            if key in owner:
                raise KeyError(f'{key!r} is defined in two bases of {filename}: {owner[key]} and {path}; '
                               f'a key may come from one base only')
            owner[key] = path
        merged.update(base_dict)
        texts.append(base_text)
    return merged, texts


def _error_line(error: BaseException, filename: str) -> Optional[int]:
    line, tb = None, error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _execute(tree: ast.Module, filename: str, source_lines: List[str], base: ConfigDict) -> ConfigDict:
    """Run the config code with ``_base_`` bound to (a copy of) its bases; return its public names."""
    namespace = {'__file__': filename, '__name__': '__config__', BASE_KEY: base}
    try:
        exec(compile(tree, filename, 'exec'), namespace)
    except Exception as e:
        line = _error_line(e, filename)
        where = f', line {line}: {source_lines[line - 1].strip()}' if line else ''
        raise RuntimeError(f'error in config {filename}{where}\n{type(e).__name__}: {e}') from e
    if namespace.get(BASE_KEY) is not base:
        raise TypeError(f'{filename}: {BASE_KEY} may only be set once, at the top level, '
                        f'as a path or a list of paths')
    return ConfigDict({name: value for name, value in namespace.items()
                       if not name.startswith('_') and not isinstance(value, _NOT_CONFIG_TYPES)})


def _load_file(filename: str, chain: Tuple[str, ...] = ()) -> Tuple[ConfigDict, str]:
    """The config dict of ``filename`` (bases merged in) and the text of all files involved."""
    key = osp.realpath(filename)
    if key in chain:
        raise RecursionError(f'circular {BASE_KEY}: {" -> ".join(chain + (key,))}')
    with open(filename, encoding='utf-8') as f:
        original = f.read()
    source, refs = _substitute_base_refs(original)
    tree = _parse(source, filename)
    _check_imports(tree, filename)
    _check_single_assignment(tree, filename)
    base_names = _pop_base_names(tree, filename)
    if refs and not base_names:
        raise KeyError(f'{filename} refers to {{{{ {BASE_KEY}.{refs[0]} }}}} but sets no {BASE_KEY}')
    base, base_texts = _load_bases(base_names, filename, chain + (key,))
    own = _execute(tree, filename, original.splitlines(), copy.deepcopy(base))
    try:
        merged = _merge(own, base, '', allow_list_keys=False)
    except TypeError as e:
        raise TypeError(f'{filename} over its {BASE_KEY}: {e}; set {DELETE_KEY}=True in the dict to '
                        'replace the base value instead of merging into it') from None
    text = '\n'.join(base_texts + [f'{filename}\n{original}'])
    return merged, text


def _warn(message: str) -> None:
    """A warning of the 'mmcv' logger (printed on rank 0; torch is imported only now)."""
    from mmcv.logging import get_logger
    get_logger('mmcv').warning(message)


def _import_custom_modules(custom_imports: Any, filename: str) -> None:
    """Import the modules of ``custom_imports=dict(imports=[...], allow_failed_imports=False)``."""
    where = f'{filename}: {CUSTOM_IMPORTS_KEY}'
    if not isinstance(custom_imports, dict) or 'imports' not in custom_imports:
        raise TypeError(f"{where} must be dict(imports=['module', ...], allow_failed_imports=False), "
                        f'got {custom_imports!r}')
    unknown = sorted(set(custom_imports) - {'imports', 'allow_failed_imports'})
    if unknown:
        raise KeyError(f"{where} has unknown keys {unknown}; it takes 'imports' and 'allow_failed_imports'")
    modules = custom_imports['imports']
    modules = [modules] if isinstance(modules, str) else modules
    if not isinstance(modules, (list, tuple)) or not all(isinstance(m, str) for m in modules):
        raise TypeError(f'{where}.imports must be a module name or a list of them, got {modules!r}')
    allow_failed = custom_imports.get('allow_failed_imports', False)
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception as e:
            message = (f'{where} could not import {module!r}: {type(e).__name__}: {e} (is the folder holding '
                       'it on sys.path / PYTHONPATH?)')
            if not allow_failed:
                raise ImportError(message + '; set allow_failed_imports=True to go on without it') from e
            _warn(message + '; going on without it (allow_failed_imports=True)')


def _warn_new_key(full_key: str, tree: dict) -> None:
    """Warn when the dotted ``full_key`` is not in ``tree``, naming the nearest existing key.

    A top-level key of :data:`TOOL_KEYS` is read by the tools, so adding it is no surprise; another new
    top-level key is read by nothing. Inside the config only the code reading the parent dict knows
    (components and ``model.test_cfg`` refuse keys they do not take when they are built).
    """
    node: Any = tree
    parts = full_key.split('.')
    for i, part in enumerate(parts):
        if part == DELETE_KEY:
            return
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, dict):
            if i == 0 and part in TOOL_KEYS:
                return
            parent = '.'.join(parts[:i])
            keys = [str(k) for k in node]
            close = difflib.get_close_matches(part, keys + (sorted(TOOL_KEYS) if i == 0 else []), n=1, cutoff=0.6)
            prefix = parent + '.' if parent else ''
            hint = (f'did you mean {prefix + close[0]!r}?' if close else
                    f'{parent or "the config"} has the keys {keys}')
            if i == 0:
                _warn(f'option {full_key!r} adds a new key: {part!r} at the top level, which no tool reads ({hint})')
            else:
                _warn(f'option {full_key!r} adds a new key: {parent} has no key {part!r} ({hint}); it takes effect '
                      f'only if what reads {parent} takes {part!r}')
            return
        else:
            return  # a scalar or list on the way: merging reports what is wrong


# -------------------------------------------------------------------------------------- formatting

def _plain_keys(d: dict) -> bool:
    return all(isinstance(k, str) and k.isidentifier() and not keyword.iskeyword(k) for k in d)


def _format_flat(value: Any) -> str:
    """``value`` as Python source on one line."""
    if isinstance(value, dict):
        if _plain_keys(value):
            return 'dict(' + ', '.join(f'{k}={_format_flat(v)}' for k, v in value.items()) + ')'
        return '{' + ', '.join(f'{_format_flat(k)}: {_format_flat(v)}' for k, v in value.items()) + '}'
    if isinstance(value, list):
        return '[' + ', '.join(_format_flat(v) for v in value) + ']'
    if isinstance(value, tuple):
        items = [_format_flat(v) for v in value]
        return '(' + ', '.join(items) + (',' if len(items) == 1 else '') + ')'
    if isinstance(value, float) and not math.isfinite(value):
        return f"float('{value}')"
    return repr(value)


def _format(value: Any, indent: int, used: int) -> str:
    """``value`` as Python source, split over lines (black style) when it does not fit.

    ``indent`` is the indentation of the current line, ``used`` the columns it already uses.
    """
    flat = _format_flat(value)
    if used + len(flat) <= LINE_WIDTH or not isinstance(value, (dict, list, tuple)) or not value:
        return flat
    inner = indent + 4
    if isinstance(value, dict):
        if _plain_keys(value):
            opening, closing = 'dict(', ')'
            items = [f'{k}=' + _format(v, inner, inner + len(k) + 1) for k, v in value.items()]
        else:
            opening, closing = '{', '}'
            items = [f'{k!r}: ' + _format(v, inner, inner + len(repr(k)) + 2) for k, v in value.items()]
    else:
        opening, closing = ('[', ']') if isinstance(value, list) else ('(', ')')
        items = [_format(v, inner, inner) for v in value]
    body = ''.join(f'{" " * inner}{item},\n' for item in items)
    return f'{opening}\n{body}{" " * indent}{closing}'


# ------------------------------------------------------------------------------------------ Config

class Config:
    """A config: a :class:`ConfigDict` plus the file it came from.

    Keys are reachable as attributes and items (``cfg.model.backbone``, ``cfg['model']``); the dict
    methods (``get``, ``keys``, ``items``, ``pop``, ...) work on the config itself.
    """

    def __init__(self, cfg_dict: Optional[dict] = None, filename: Optional[Union[str, Path]] = None, *,
                 cfg_text: Optional[str] = None):
        if cfg_dict is None:
            cfg_dict = {}
        if not isinstance(cfg_dict, dict):
            raise TypeError(f'cfg_dict must be a dict, got {type(cfg_dict).__name__}')
        filename = None if filename is None else str(filename)
        reserved = [k for k in RESERVED_KEYS if k in cfg_dict]
        if reserved:
            where = f' (in {filename})' if filename else ''
            raise KeyError(f'the key names {", ".join(reserved)} are reserved{where}: Config uses them itself')
        if cfg_text is None:
            cfg_text = ''
            if filename is not None and osp.isfile(filename):
                with open(filename, encoding='utf-8') as f:
                    cfg_text = f.read()
        object.__setattr__(self, '_cfg_dict', ConfigDict(cfg_dict))
        object.__setattr__(self, '_filename', filename)
        object.__setattr__(self, '_text', cfg_text)

    @classmethod
    def fromfile(cls, filename: Union[str, Path], cfg_options: Optional[dict] = None,
                 import_custom_modules: bool = True) -> 'Config':
        """Load a .py config file, its ``_base_`` files included, then apply ``cfg_options``.

        ``cfg_options`` is what ``--cfg-options`` gives (:class:`DictAction`): dotted keys, merged with
        :meth:`merge_from_dict`. Then the modules of ``custom_imports=dict(imports=[...],
        allow_failed_imports=False)`` are imported (with ``import_custom_modules``); one that fails to
        import is an error, or a warning with ``allow_failed_imports=True``.
        """
        filename = str(filename)
        _check_config_path(filename)
        cfg_dict, text = _load_file(filename)
        cfg = cls(cfg_dict, filename=filename, cfg_text=text)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        if import_custom_modules and cfg.get(CUSTOM_IMPORTS_KEY) is not None:
            _import_custom_modules(cfg[CUSTOM_IMPORTS_KEY], filename)
        return cfg

    @property
    def filename(self) -> Optional[str]:
        return self._filename

    @property
    def text(self) -> str:
        """The text of the config file and of its bases, each after its path."""
        return self._text

    @property
    def pretty_text(self) -> str:
        """The config as a Python file that ``Config.fromfile`` loads back to the same dict."""
        lines = []
        for key, value in self._cfg_dict.items():
            if not (isinstance(key, str) and key.isidentifier() and not keyword.iskeyword(key)) \
                    or key.startswith('_'):
                raise ValueError(f'top-level key {key!r} cannot be written as a config variable; '
                                 'keys there must be public Python names')
            lines.append(f'{key} = {_format(value, 0, len(key) + 3)}\n')
        return ''.join(lines)

    def dump(self, file: Optional[Union[str, Path]] = None) -> Optional[str]:
        """Return :attr:`pretty_text`, or write it to a .py ``file`` atomically (.json/.pkl: the dict)."""
        if file is None:
            return self.pretty_text
        if str(file).endswith('.py'):
            with atomic_write(file, 'w') as f:
                f.write(self.pretty_text)
        else:
            dump(self.to_dict(), file)
        return None

    def to_dict(self) -> dict:
        return self._cfg_dict.to_dict()

    def merge_from_dict(self, options: Dict[str, Any], allow_list_keys: bool = True) -> None:
        """Merge ``options`` whose keys are dotted paths into the config.

        ``{'model.backbone.depth': 50}`` sets one nested key (missing dicts are created);
        with ``allow_list_keys`` an index selects a list item: ``'data.train.pipeline.1.img_scale'``.
        A key the config does not have yet is added with a warning naming the nearest existing key
        (``data.samples_per_gpuu`` -> did you mean ``data.samples_per_gpu``?).
        """
        nested: Dict[str, Any] = {}
        for full_key, value in options.items():
            _warn_new_key(full_key, self._cfg_dict)
            *parents, last = full_key.split('.')
            node = nested
            for i, part in enumerate(parents):
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise KeyError(f'options {".".join(parents[:i + 1])!r} and {full_key!r} conflict: '
                                   'the first sets a value the second would descend into')
            node[last] = value
        merged = _merge(nested, self._cfg_dict, '', allow_list_keys)
        object.__setattr__(self, '_cfg_dict', merged)

    def __getattr__(self, name: str) -> Any:
        if name.startswith('__') or name in ('_cfg_dict', '_filename', '_text'):
            raise AttributeError(name)
        return getattr(self._cfg_dict, name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._cfg_dict[name] = value

    def __delattr__(self, name: str) -> None:
        delattr(self._cfg_dict, name)

    def __getitem__(self, key: Any) -> Any:
        return self._cfg_dict[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._cfg_dict[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._cfg_dict[key]

    def __contains__(self, key: Any) -> bool:
        return key in self._cfg_dict

    def __iter__(self) -> Iterator:
        return iter(self._cfg_dict)

    def __len__(self) -> int:
        return len(self._cfg_dict)

    def __repr__(self) -> str:
        return f'Config (path: {self._filename}): {self._cfg_dict!r}'

    def __getstate__(self) -> Tuple[ConfigDict, Optional[str], str]:
        return self._cfg_dict, self._filename, self._text

    def __setstate__(self, state: Tuple[ConfigDict, Optional[str], str]) -> None:
        for name, value in zip(('_cfg_dict', '_filename', '_text'), state):
            object.__setattr__(self, name, value)

    def __copy__(self) -> 'Config':
        new = self.__class__.__new__(self.__class__)
        new.__setstate__(self.__getstate__())
        return new

    def __deepcopy__(self, memo: dict) -> 'Config':
        new = self.__class__.__new__(self.__class__)
        memo[id(self)] = new
        new.__setstate__(copy.deepcopy(self.__getstate__(), memo))
        return new


# -------------------------------------------------------------------------------- --cfg-options

_BRACKETS = {'(': ')', '[': ']'}


def _scan(text: str) -> Tuple[List[int], int]:
    """(positions of the commas outside brackets and quotes, where the bracket opening ``text`` closes or -1).

    Brackets pair up, '(' with ')' and '[' with ']'. A quote opens a quoted element only where an element
    starts, so an apostrophe inside a word (``it's``) is a letter.
    """
    commas: List[int] = []
    stack: List[Tuple[str, int]] = []
    quote, element_start, first_group_end = None, True, -1
    for i, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in '\'"' and element_start:
            quote, element_start = char, False
        elif char in _BRACKETS:
            stack.append((char, i))
            element_start = True
        elif char in ')]':
            if not stack or _BRACKETS[stack[-1][0]] != char:
                raise ValueError(f'unbalanced brackets in {text!r}')
            if stack.pop()[1] == 0:
                first_group_end = i
            element_start = False
        elif char == ',':
            if not stack:
                commas.append(i)
            element_start = True
        elif not char.isspace():
            element_start = False
    if stack or quote:
        raise ValueError(f'unbalanced brackets or quotes in {text!r}')
    return commas, first_group_end


def _split_top_level(text: str) -> List[str]:
    """Split ``text`` at the commas outside brackets and quotes; one trailing comma is allowed."""
    commas, _ = _scan(text)
    bounds = [-1] + commas + [len(text)]
    parts = [text[a + 1:b] for a, b in zip(bounds, bounds[1:])]
    if len(parts) > 1 and not parts[-1].strip():
        parts.pop()
    if len(parts) > 1 and any(not p.strip() for p in parts):
        raise ValueError(f'empty element in {text!r}')
    return parts


def _parse_scalar(text: str) -> Any:
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    if text.lower() in ('true', 'false'):
        return text.lower() == 'true'
    if text == 'None':
        return None
    return text


def _parse_option_value(text: str) -> Any:
    """Parse the VALUE of KEY=VALUE: scalars, 'a,b' / '[a,b]' lists, '(a,b)' tuples, nested."""
    text = text.strip()
    parts = _split_top_level(text)
    if len(parts) > 1:
        return [_parse_option_value(p) for p in parts]
    if len(text) >= 2 and text[0] == text[-1] and text[0] in '\'"':
        inner = text[1:-1]
        return _parse_option_value(inner) if inner.strip().startswith(('[', '(')) else inner
    if text[:1] in _BRACKETS:
        if _scan(text)[1] != len(text) - 1:
            raise ValueError(f'{text!r} starts with a bracket group that ends before the value does; '
                             'quote the whole value to pass it as a string')
        kind = list if text[0] == '[' else tuple
        inner = text[1:-1]
        return kind(_parse_option_value(p) for p in _split_top_level(inner)) if inner.strip() else kind()
    return _parse_scalar(text)  # brackets inside a word are part of it: wd(1)


class DictAction(argparse.Action):
    """argparse action turning ``KEY=VALUE`` arguments into a dict (for ``--cfg-options``).

    VALUE becomes an int, float, bool ('true'/'false', any case), None ('None') or str; 'a,b' and
    '[a,b]' give lists, '(a,b)' a tuple, and they nest: '[(1,2),(3,4)]'. Brackets inside a word belong
    to it ('wd(1)' is a str), and so does an apostrophe ("it's"). A quoted element stays a str
    ("'1'" -> '1'). Several pairs may follow one flag, and a repeated flag adds to the dict.
    """

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Union[str, Sequence[str]], option_string: Optional[str] = None) -> None:
        options = dict(getattr(namespace, self.dest, None) or {})
        for pair in [values] if isinstance(values, str) else values:
            key, sep, text = pair.partition('=')
            if not sep or not key:
                raise argparse.ArgumentError(self, f'expected KEY=VALUE, got {pair!r}')
            try:
                options[key] = _parse_option_value(text)
            except ValueError as e:
                raise argparse.ArgumentError(self, f'{key}: {e}') from None
        setattr(namespace, self.dest, options)
