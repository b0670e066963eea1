"""Shared test setup: import the project from the repo root, the `slow` marker, fake retinal trees."""
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
