import json
import logging
import os
import re
import sys

import pytest

from mmcv.runner import EvalHook, TensorboardLoggerHook

from .toy import ToyDataset, make_loader, make_runner

TRAIN_LINE = re.compile(r'Iter \[(\d+)/10\]\tlr: \d\.\d{3}e-\d\d, eta: \d+:\d\d:\d\d, time: \d+\.\d{3}, '
                        r'data_time: \d+\.\d{3}, loss_ce: \d+\.\d{4}, loss: \d+\.\d{4}$')


def _run_logged(tmp_path, caplog, eval_hook=None, max_iters=10):
    runner = make_runner(tmp_path, max_iters=max_iters, meta=dict(env_info='Python: 3', seed=1))
    runner.timestamp = '20240101_000000'
    runner.register_training_hooks(dict(policy='poly', power=0.9), dict(), None,
                                   dict(interval=5, hooks=[dict(type='TextLoggerHook', by_epoch=False)]))
    if eval_hook is not None:
        runner.register_hook(eval_hook, 'LOW')
    with caplog.at_level(logging.INFO, logger='mmcv.test'):
        runner.run([make_loader()], [('train', 1)])
    lines = [json.loads(line) for line in open(tmp_path / '20240101_000000.log.json')]
    return runner, [m for m in caplog.messages if m.startswith('Iter')], lines


def test_text_lines_follow_the_mmseg_format(tmp_path, caplog):
    _, messages, _ = _run_logged(tmp_path, caplog)
    assert len(messages) == 2
    assert [int(TRAIN_LINE.match(m).group(1)) for m in messages] == [5, 10]
    assert 'memory' not in messages[0]  # CUDA only
    assert messages[0].startswith(f'Iter [5/10]\tlr: {0.1 * (1 - 4 / 10) ** 0.9:.3e}, ')  # lr of iteration 5

def test_json_log_has_meta_then_one_record_per_log_point(tmp_path, caplog):
    _, _, lines = _run_logged(tmp_path, caplog)
    assert lines[0] == {'env_info': 'Python: 3', 'seed': 1}
    assert [(r['mode'], r['iter']) for r in lines[1:]] == [('train', 5), ('train', 10)]
    record = lines[1]
    assert {'lr', 'data_time', 'time', 'loss', 'loss_ce', 'img_per_s', 'epoch'} <= set(record)
    # 5 iterations of batches 4, 4, 3, 4, 4 samples: img_per_s is samples over time
    assert record['img_per_s'] == pytest.approx(19 / (5 * record['time']), rel=1e-3)


def test_evaluation_results_are_logged_after_the_training_line(tmp_path, caplog):
    hook = EvalHook(make_loader(ToyDataset(scores=[0.5, 0.75]), shuffle=False), interval=5)
    runner, messages, lines = _run_logged(tmp_path, caplog, hook)
    assert messages[0].startswith('Iter [5/10]') and messages[1] == 'Iter(val) [3]\tmDice: 0.5000, aAcc: 0.5000'
    assert messages[3] == 'Iter(val) [3]\tmDice: 0.7500, aAcc: 0.5000'
    assert len(messages) == 4
    val = [r for r in lines if r.get('mode') == 'val']
    assert val == [{'mode': 'val', 'epoch': 2, 'iter': 5, 'mDice': 0.5, 'aAcc': 0.5},
                   {'mode': 'val', 'epoch': 4, 'iter': 10, 'mDice': 0.75, 'aAcc': 0.5}]
    assert runner.log_buffer.output['mDice'] == 0.75


def test_tensorboard_writes_event_files(tmp_path):
    pytest.importorskip('tensorboard')
    runner = make_runner(tmp_path, max_iters=4)
    runner.register_training_hooks(None, dict(), None, dict(interval=2, hooks=[dict(type='TensorboardLoggerHook')]))
    runner.run([make_loader()], [('train', 1)])
    assert any(name.startswith('events.out.tfevents') for name in os.listdir(tmp_path / 'tf_logs'))


def test_tensorboard_missing_gives_an_install_hint(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, 'torch.utils.tensorboard', None)
    runner = make_runner(tmp_path)
    with pytest.raises(ImportError, match='pip install tensorboard'):
        TensorboardLoggerHook().before_run(runner)
