"""Schedule settings checked when the config is built, before a work dir or a model exists.

A value of the wrong type (``--cfg-options runner.max_iters=two``) would otherwise surface as a TypeError deep in
the runner after the work dir, its log and the dumped config were written.
"""
import numbers
from typing import Any

from mmcv.registry import build_from_cfg
from mmcv.runner.builder import HOOKS
from mmcv.runner.iter_based_runner import _policy_to_type

RUNNER_TYPES = ('IterBasedRunner',)


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _fail(key: str, value: Any, expected: str) -> None:
    raise ValueError(f'config: {key}={value!r} ({type(value).__name__}); expected {expected}')


def _check_int(section: dict, name: str, key: str, minimum: int = None) -> None:
    if name not in section or section[name] is None:
        return
    value = section[name]
    if not _is_int(value) or (minimum is not None and value < minimum):
        _fail(key, value, 'an int' + (f' >= {minimum}' if minimum is not None else ''))


def _section(cfg, name: str):
    section = cfg.get(name)
    if section is not None and not isinstance(section, dict):
        _fail(name, section, 'a dict')
    return section


def check_schedule(cfg) -> None:
    """Check ``runner``, ``lr_config``, ``checkpoint_config``, ``evaluation`` and ``log_config`` of a training
    config; raise ValueError naming the key, the value and what is expected."""
    runner = _section(cfg, 'runner')
    if runner is not None:
        if runner.get('type', 'IterBasedRunner') not in RUNNER_TYPES:
            _fail('runner.type', runner.get('type'), f'one of {RUNNER_TYPES}')
        if 'max_iters' not in runner:
            raise ValueError('config: runner has no max_iters')
        _check_int(runner, 'max_iters', 'runner.max_iters', 1)
    checkpoint = _section(cfg, 'checkpoint_config')
    if checkpoint is not None:
        _check_int(checkpoint, 'interval', 'checkpoint_config.interval')
        _check_int(checkpoint, 'max_keep_ckpts', 'checkpoint_config.max_keep_ckpts')
    evaluation = _section(cfg, 'evaluation')
    if evaluation is not None:
        _check_int(evaluation, 'interval', 'evaluation.interval', 1)
        metric = evaluation.get('metric', 'mIoU')
        if not (isinstance(metric, str) or (isinstance(metric, (list, tuple)) and metric
                                            and all(isinstance(m, str) for m in metric))):
            _fail('evaluation.metric', metric, 'a metric name or a list of names')
        save_best = evaluation.get('save_best')
        if save_best is not None and not isinstance(save_best, str):
            _fail('evaluation.save_best', save_best, "a metric name such as 'mDice', 'auto' or None")
    log_config = _section(cfg, 'log_config')
    if log_config is not None:
        _check_int(log_config, 'interval', 'log_config.interval', 1)
    lr_config = _section(cfg, 'lr_config')
    if lr_config is not None:
        for name, value in lr_config.items():
            if name in ('policy', 'type', 'by_epoch', 'warmup', 'warmup_by_epoch'):
                continue
            numbers_ok = _is_number(value) or (isinstance(value, (list, tuple)) and all(map(_is_number, value)))
            if value is not None and not numbers_ok:
                _fail(f'lr_config.{name}', value, 'a number (or a list of numbers)')
        try:  # the schedule hook itself checks its policy and ranges (warmup, ratios)
            build_from_cfg(_policy_to_type(dict(lr_config), 'LrUpdaterHook'), HOOKS)
        except (KeyError, TypeError, ValueError) as err:
            message = err.args[0] if err.args else err
            raise ValueError(f'config: lr_config={dict(lr_config)!r} cannot be built: {message}') from None
