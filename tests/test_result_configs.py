"""Each committed result log was produced by what its config file builds today.

A run's JSON log records the whole config it trained with (first line, key 'config': the dumped config).
configs/unet++/results/[ablation/]NAME.log.json belongs to configs/unet++/[ablation/]NAME.py; the keys that
shape the result (data, optimizer, optimizer_config, lr_config, runner, model) must be the same, so that the
reproduce command of a config gives the run its figures come from.

The model is compared by what it builds, not as a dict, so that an equivalent spelling of the same network
(e.g. a head's ``in_channels``/``in_index``/``img_channels`` in another convention) still matches: parameter and buffer names
and shapes, train/test cfg, and the head options other than those inputs (losses included).
"""
import glob
import os
import json
import os.path as osp

import pytest

from mmcv import Config
from mmseg.models import build_segmentor

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG_DIR = osp.join(ROOT, 'configs', 'unet++')
RESULTS = osp.join(CONFIG_DIR, 'results')
LOGS = sorted(glob.glob(osp.join(RESULTS, '**', '*.log.json'), recursive=True))
DICT_KEYS = ('data', 'optimizer', 'optimizer_config', 'lr_config', 'runner')
# How a head is told its inputs; two spellings of the same inputs build the same parameters (compared).
HEAD_INPUT_KEYS = ('in_channels', 'in_index', 'img_channels')  # how inputs are listed, not what is built


def _listed_configs() -> dict:
    """Log -> Config of the sources.yml models that name their config (runs of one config under other names:
    seeds, cross-validation folds)."""
    import yaml
    with open(osp.join(RESULTS, 'sources.yml')) as f:
        models = yaml.safe_load(f)['Models']
    return {osp.join(RESULTS, m['Log']): osp.join(ROOT, m['Config']) for m in models if m.get('Log') and m.get('Config')}


LISTED = _listed_configs()
# cross-validation folds: tools/cross_validate.py rewrites the config's data splits per fold, the rest is the config's
FOLD_LOGS = {log for log in LOGS if osp.relpath(log, RESULTS).startswith('cv' + os.sep)}


def config_of(log: str) -> str:
    if log in LISTED:
        return LISTED[log]
    return osp.join(CONFIG_DIR, osp.relpath(log, RESULTS)[:-len('.log.json')] + '.py')


def recorded_config(log: str, tmp_path) -> Config:
    with open(log) as f:
        header = json.loads(f.readline())
    assert 'config' in header, f'{log}: its first line records no config'
    path = tmp_path / 'recorded.py'
    path.write_text(header['config'])
    return Config.fromfile(path)


def head_options(head_cfg: dict) -> dict:
    return {k: v for k, v in head_cfg.items() if k not in HEAD_INPUT_KEYS}


def model_signature(model_cfg: dict) -> dict:
    """What a model config trains: its tensors' names and shapes, train/test cfg and head options."""
    model_cfg = Config(dict(model=model_cfg)).model  # a copy
    model_cfg.pretrained = None
    model = build_segmentor(model_cfg)
    heads = [model_cfg.decode_head] + list(
        [] if model_cfg.get('auxiliary_head') is None else
        model_cfg.auxiliary_head if isinstance(model_cfg.auxiliary_head, list) else [model_cfg.auxiliary_head])
    return dict(tensors={name: tuple(t.shape) for name, t in model.state_dict().items()},
                train_cfg=model.train_cfg, test_cfg=model.test_cfg,
                heads=[head_options(h) for h in heads],
                backbone=model_cfg.backbone.to_dict(), neck=model_cfg.get('neck'))


# Where the data lives on the machine that ran (a --cfg-options data_root=...), not what was trained on.
LOCATION_KEYS = ('data_root',)


def diff(recorded, today, path: str = '') -> list:
    """Dotted paths where two nested values differ, with both values (data locations left out)."""
    if isinstance(recorded, dict) and isinstance(today, dict):
        return [d for key in sorted(set(recorded) | set(today), key=str) if key not in LOCATION_KEYS
                for d in diff(recorded.get(key, '<missing>'), today.get(key, '<missing>'), f'{path}.{key}')]
    if isinstance(recorded, (list, tuple)) and isinstance(today, (list, tuple)) and len(recorded) == len(today):
        return [d for i, (a, b) in enumerate(zip(recorded, today)) for d in diff(a, b, f'{path}.{i}')]
    return [] if recorded == today else [f'{path}: log {recorded!r}, config today {today!r}']


def test_logs_are_found_with_their_configs():
    assert len(LOGS) >= 10, f'expected the committed logs in {RESULTS}'
    missing = [config_of(log) for log in LOGS if not osp.isfile(config_of(log))]
    assert not missing, f'result logs without a config file: {missing}'


@pytest.mark.parametrize('log', LOGS, ids=[osp.relpath(p, RESULTS) for p in LOGS])
def test_config_file_builds_what_its_log_recorded(log, tmp_path):
    recorded, today = recorded_config(log, tmp_path), Config.fromfile(config_of(log))
    keys = [k for k in DICT_KEYS if not (log in FOLD_LOGS and k == 'data')]
    problems = diff({k: recorded.get(k) for k in keys}, {k: today.get(k) for k in keys})
    problems += diff(model_signature(recorded.model), model_signature(today.model), 'model')
    assert not problems, (f'{osp.relpath(config_of(log), ROOT)} no longer builds the run of '
                          f'{osp.relpath(log, ROOT)}:\n' + '\n'.join(problems[:20]))


def test_the_comparison_sees_a_different_model_and_loss(tmp_path):
    base = recorded_config(osp.join(RESULTS, 'ablation', 'unet++_r34_4k_drive_cpu_base.log.json'), tmp_path)
    for other in ('unet++_r34_4k_drive_cpu_wide.py', 'unet++_r34_4k_drive_cpu_ce1_dice1.py'):
        today = Config.fromfile(osp.join(CONFIG_DIR, 'ablation', other))
        assert diff(model_signature(base.model), model_signature(today.model), 'model'), other
