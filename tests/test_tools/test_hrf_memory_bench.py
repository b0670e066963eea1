"""bench/hrf_memory.py runs the HRF test path on a small synthetic image and reports its memory figures."""
import importlib.util
import json
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.mark.slow
def test_hrf_memory_bench_reports_peaks_on_a_small_image(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location('hrf_memory', osp.join(ROOT, 'bench', 'hrf_memory.py'))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / 'memory.json'
    bench.main(['--size', '300', '200', '--window-batch', '2', '--json', str(out)])
    result = json.loads(out.read_text())
    assert (result['width'], result['height'], result['window_batch']) == (300, 200, 2)
    assert result['crop_size'] == [256, 256] and result['stride'] == [170, 170]  # the HRF config's slide windows
    assert result['rss_peak_during_test_mib'] >= result['rss_before_mib'] > 0 and result['tracemalloc_peak_mib'] > 0
    assert 0 <= result['mDice'] <= 1 and 'rss_increase_mib' in capsys.readouterr().out
