"""Shared test setup: import the project from the repo root, the `slow` marker, fake retinal trees and the
synthetic DRIVE set."""
import os.path as osp
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
TESTS = osp.join(ROOT, 'tests')  # for shared helpers such as retinal_fakes.py
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)


def pytest_configure(config):
    config.addinivalue_line('markers', 'slow: end-to-end test (training runs, tools or ranks as subprocesses, gloo '
                            'process groups, real data; seconds to a minute); left out by -m "not slow", run in CI')


@pytest.fixture(scope='session')
def retinal_tree(tmp_path_factory):
    """``retinal_tree('STARE', size=(80, 72))``: a small fake tree of that set (see retinal_fakes.py), made once."""
    from retinal_fakes import write_retinal_tree
    made = {}

    def make(dataset: str, **kwargs) -> str:
        key = (dataset, tuple(sorted(kwargs.items())))
        if key not in made:
            made[key] = write_retinal_tree(str(tmp_path_factory.mktemp(dataset)), dataset, **kwargs)
        return made[key]

    return make


@pytest.fixture(scope='session')
def synthetic_drive(tmp_path_factory):
    """``synthetic_drive(num_train=2, num_test=2, size=(64, 64), seed=0)``: the data_root of a converted synthetic
    DRIVE set (mmseg.utils.synthetic's zips through the DRIVE converter), made once per set of arguments.

    The folder is shared by every test that asks for the same arguments: read it, never change it; a test that
    changes files takes its own copy (``shutil.copytree(root, tmp_path / 'DRIVE')``).
    """
    from mmseg.datasets.converters import convert_drive
    from mmseg.utils.synthetic import make_synthetic_drive
    made = {}

    def make(num_train: int = 2, num_test: int = 2, size=(64, 64), seed: int = 0) -> str:
        key = (num_train, num_test, tuple(size), seed)
        if key not in made:
            tmp = tmp_path_factory.mktemp('drive')
            zips = make_synthetic_drive(str(tmp / 'zips'), num_train=num_train, num_test=num_test, size=tuple(size),
                                        seed=seed)
            made[key] = str(tmp / 'DRIVE')
            convert_drive(*zips, out_dir=made[key], progress=False, logger='silent')
        return made[key]

    return make
