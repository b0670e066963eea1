"""Shared test setup: import the project from the repo root, and the `slow` marker."""
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def pytest_configure(config):
    config.addinivalue_line('markers', 'slow: end-to-end test (seconds to a minute); still run in CI')
