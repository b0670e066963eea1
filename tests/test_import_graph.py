"""The import direction of ARCHITECTURE.md, checked on the source: tools -> mmseg -> mmcv, and inside mmseg
``apis`` on top of ``models``, ``datasets``, ``core`` and ``utils``; configs import nothing of the project.

Every module is parsed with ``ast`` (nothing is imported), so an import inside a function or one made with
``importlib.import_module('...')`` counts as much as one at the top of the file.
"""
import ast
import os
import os.path as osp
from typing import Iterator, List, Tuple

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PROJECT = ('mmcv', 'mmseg', 'tools')
BELOW_APIS = ('models', 'datasets', 'core', 'utils')


def module_name(path: str, root: str) -> str:
    """``mmseg/core/evaluation/metrics.py`` -> ``mmseg.core.evaluation.metrics`` (a package: its ``__init__``)."""
    parts = osp.splitext(osp.relpath(path, root))[0].split(os.sep)
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def resolve(module: str, is_package: bool, level: int, target: str) -> str:
    """The absolute name of ``from <level dots><target> import ...`` written in ``module``."""
    if level == 0:
        return target
    base = module.split('.') if is_package else module.split('.')[:-1]
    base = base[:len(base) - (level - 1)]
    return '.'.join(base + ([target] if target else []))


def imported_names(path: str, root: str) -> Iterator[Tuple[int, str]]:
    """(line, absolute module name) of every import in the file at ``path``; ``from X import y`` gives both
    ``X`` and ``X.y`` (``y`` may be a submodule), as does ``importlib.import_module`` with a literal name."""
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), filename=path)
    module, is_package = module_name(path, root), osp.basename(path) == '__init__.py'
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            source = resolve(module, is_package, node.level, node.module or '')
            yield node.lineno, source
            for alias in node.names:
                yield node.lineno, f'{source}.{alias.name}'
        elif (isinstance(node, ast.Call) and getattr(node.func, 'attr', getattr(node.func, 'id', None))
              in ('import_module', '__import__') and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            yield node.lineno, node.args[0].value


def python_files(root: str, folders: Tuple[str, ...]) -> List[str]:
    files = []
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(osp.join(root, folder)):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(('.', '__pycache__')))
            files.extend(osp.join(dirpath, name) for name in sorted(filenames) if name.endswith('.py'))
    return files


def is_within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + '.')


def forbidden_imports(folders: Tuple[str, ...], packages: Tuple[str, ...], root: str = ROOT) -> List[str]:
    """'file:line imports name' for each import of one of ``packages`` from a file under ``folders``."""
    found = []
    for path in python_files(root, folders):
        for line, name in imported_names(path, root):
            if any(is_within(name, package) for package in packages):
                found.append(f'{osp.relpath(path, root)}:{line} imports {name}')
    return sorted(set(found))


def test_the_scanner_resolves_relative_imports():
    assert resolve('mmseg.core.evaluation.eval_hooks', False, 3, 'apis') == 'mmseg.apis'
    assert resolve('mmseg.utils', True, 2, 'apis.test') == 'mmseg.apis.test'
    assert resolve('mmseg.models.builder', False, 1, '') == 'mmseg.models'


def test_the_scanner_sees_every_kind_of_import(tmp_path):
    package = tmp_path / 'mmseg' / 'utils'
    package.mkdir(parents=True)
    (package / 'mod.py').write_text(
        'import mmseg.apis.train\n'
        'def f():\n    from ..apis import test\n'
        'from .. import apis\n'
        'import importlib\nimportlib.import_module("mmseg.apis.visualize")\n')
    found = forbidden_imports(('mmseg/utils',), ('mmseg.apis',), root=str(tmp_path))
    assert sorted({entry.split(' imports ')[0] for entry in found}) == [
        'mmseg/utils/mod.py:1', 'mmseg/utils/mod.py:3', 'mmseg/utils/mod.py:4', 'mmseg/utils/mod.py:6']


@pytest.mark.parametrize('folder', BELOW_APIS)
def test_mmseg_below_apis_does_not_import_apis(folder):
    assert forbidden_imports((f'mmseg/{folder}',), ('mmseg.apis',)) == []


def test_mmcv_imports_nothing_of_mmseg_or_tools():
    assert forbidden_imports(('mmcv',), ('mmseg', 'tools')) == []


def test_mmseg_does_not_import_tools():
    assert forbidden_imports(('mmseg',), ('tools',)) == []


def test_configs_import_nothing_of_the_project():
    assert forbidden_imports(('configs',), PROJECT) == []
