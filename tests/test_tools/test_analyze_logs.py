"""tools/analyze_logs.py: curves from JSON logs, clear errors, iteration-time summary."""
import json

import numpy as np
import pytest
from PIL import Image


def write_log(path, times=(1.0, 0.2, 0.4, 0.3)):
    """A JSON log as the runner writes it: env header, train records every 50 iters, val every 100."""
    lines = [dict(env_info='sys.platform: linux', seed=0)]
    for i, t in enumerate(times, 1):
        lines.append(dict(mode='train', epoch=1, iter=50 * i, lr=0.01 / i, loss=1.0 / i, time=t, memory=12))
        if i % 2 == 0:
            lines.append(dict(mode='val', epoch=1, iter=50 * i, mDice=0.5 + 0.1 * i, aAcc=0.9))
    path.write_text('\n'.join(json.dumps(line) for line in lines) + '\n')
    return str(path)


def test_plot_curve_writes_one_subplot_per_key(load_tool, tmp_path, capsys):
    tool = load_tool('analyze_logs')
    log_a, log_b = write_log(tmp_path / 'a.log.json'), write_log(tmp_path / 'b.log.json')
    one, three = tmp_path / 'one.png', tmp_path / 'out' / 'three.png'
    tool.main(['plot_curve', log_a, '--keys', 'loss', '--out', str(one)])
    tool.main(['plot_curve', log_a, log_b, '--keys', 'loss', 'mDice', 'lr', '--legend', 'run a', 'run b',
               '--title', 'UNet++', '--out', str(three)])
    assert f'save curve to: {three}' in capsys.readouterr().out
    with Image.open(one) as small, Image.open(three) as tall:
        assert small.format == tall.format == 'PNG'
        assert tall.height > 2 * small.height  # three stacked subplots
        assert np.asarray(tall.convert('L')).std() > 0  # something was drawn


def test_plot_curve_names_missing_key_and_available_ones(load_tool, tmp_path):
    tool = load_tool('analyze_logs')
    log = write_log(tmp_path / 'a.log.json')
    out = tmp_path / 'curve.png'
    with pytest.raises(SystemExit) as exc:
        tool.main(['plot_curve', log, '--keys', 'loss', 'mIoU', '--out', str(out)])
    message = str(exc.value)
    assert "['mIoU']" in message and 'a.log.json' in message
    assert 'available keys: aAcc, loss, lr, mDice, memory, time' in message
    assert not out.exists()


def test_plot_curve_rejects_wrong_number_of_legend_names(load_tool, tmp_path):
    tool = load_tool('analyze_logs')
    log = write_log(tmp_path / 'a.log.json')
    with pytest.raises(SystemExit, match='2 names for 1 logs'):
        tool.main(['plot_curve', log, '--keys', 'loss', '--legend', 'x', 'y', '--out', str(tmp_path / 'c.png')])


def test_bad_json_line_is_reported_with_file_and_line(load_tool, tmp_path):
    tool = load_tool('analyze_logs')
    log = tmp_path / 'broken.log.json'
    log.write_text('{"mode": "train", "iter": 50, "loss": 1.0}\n{"mode": "train", "iter"\n')
    with pytest.raises(SystemExit, match=r'broken\.log\.json:2 is not a JSON object'):
        tool.main(['plot_curve', str(log), '--keys', 'loss', '--out', str(tmp_path / 'c.png')])


def test_cal_train_time_skips_first_interval_unless_asked(load_tool, tmp_path, capsys):
    tool = load_tool('analyze_logs')
    log = write_log(tmp_path / 'a.log.json', times=(1.0, 0.2, 0.4, 0.3))
    tool.main(['cal_train_time', log])
    out = capsys.readouterr().out
    assert 'average iter time: 0.3000 s/iter' in out
    assert 'slowest interval ends at iter 150, 0.4000 s/iter' in out
    assert 'fastest interval ends at iter 100, 0.2000 s/iter' in out
    tool.main(['cal_train_time', log, '--include-outliers'])
    out = capsys.readouterr().out
    assert 'average iter time: 0.4750 s/iter' in out
    assert 'slowest interval ends at iter 50, 1.0000 s/iter' in out
