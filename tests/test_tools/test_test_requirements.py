"""CI (tools/setup_env.sh -> tools/run_tests.sh) installs every package a test would otherwise skip without."""
import glob
import os.path as osp
import re

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PROJECT = ('mmcv', 'mmseg')


def requirement_names(path: str) -> set:
    with open(path) as f:
        lines = [line.split('#')[0].strip() for line in f]
    return {re.split(r'[<>=!~\[; ]', line)[0].lower() for line in lines if line and not line.startswith('-')}


def test_every_importorskip_package_is_a_test_requirement():
    skipped_without = set()
    for path in glob.glob(osp.join(ROOT, 'tests', '**', '*.py'), recursive=True):
        with open(path) as f:
            skipped_without |= {m.split('.')[0] for m in re.findall(r"importorskip\(['\"]([\w.]+)['\"]", f.read())}
    skipped_without -= set(PROJECT)
    assert {'onnx', 'onnxruntime', 'tensorboard'} <= skipped_without, 'the scan found the known optional imports'
    missing = skipped_without - requirement_names(osp.join(ROOT, 'requirements', 'tests.txt'))
    assert not missing, f'tests skip without {sorted(missing)}: add them to requirements/tests.txt'
