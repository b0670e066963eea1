"""The figures in configs/unet++/README.md are the ones in the committed logs and eval files beside it."""
import glob
import os.path as osp

import pytest

from mmseg.utils.run_summary import last_val_record, load_json

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
RESULTS = osp.join(ROOT, 'configs', 'unet++', 'results')
README = osp.join(ROOT, 'configs', 'unet++', 'README.md')
EVALS = sorted(glob.glob(osp.join(RESULTS, '*.eval.json')))
LOGS = sorted(glob.glob(osp.join(RESULTS, '*.log.json')))


def percent(value: float) -> str:
    return f'{100 * value:.2f}'


def test_results_are_committed():
    assert EVALS and LOGS, f'no eval/log files in {RESULTS}'


@pytest.mark.parametrize('path', EVALS, ids=[osp.basename(p) for p in EVALS])
def test_eval_file_figures_are_in_the_readme(path):
    metric = load_json(path)['metric']
    text = open(README).read()
    assert osp.basename(path) in text, f'{osp.basename(path)} is not cited in {README}'
    for key in ('mDice', 'Dice.vessel', 'fov.AUC', 'fov.F1'):
        assert percent(metric[key]) in text, f'{key} {percent(metric[key])} of {osp.basename(path)} not in README'


@pytest.mark.parametrize('path', LOGS, ids=[osp.basename(p) for p in LOGS])
def test_final_validation_of_each_log_is_in_the_readme(path):
    val = last_val_record(path)
    assert val is not None, f'{path} has no validation record'
    text = open(README).read()
    assert percent(val['mDice']) in text, f'final mDice of {osp.basename(path)} not in README'
