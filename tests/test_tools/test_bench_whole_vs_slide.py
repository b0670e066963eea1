"""bench/whole_vs_slide.py: one checkpoint, slide and whole-image inference, one table and one JSON."""
import importlib.util
import json
import os.path as osp

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SLIDE = ['model.test_cfg.crop_size=(32,32)', 'model.test_cfg.stride=(21,21)']


@pytest.fixture
def bench():
    spec = importlib.util.spec_from_file_location('bench_whole_vs_slide', osp.join(ROOT, 'bench', 'whole_vs_slide.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reports_both_modes_side_by_side(bench, tiny_config, tiny_checkpoint, tiny_drive, tmp_path, capsys):
    json_file = tmp_path / 'out' / 'wvs.json'
    bench.main([tiny_config, tiny_checkpoint, '--data-root', tiny_drive, '--flip', '--json', str(json_file),
                '--cfg-options', *SLIDE])
    printed = capsys.readouterr().out
    for row in ('mDice', 'vessel Dice', 'FOV AUC', 'FOV F1', 's / image (median)'):
        assert row in printed
    report = json.loads(json_file.read_text())
    slide, whole = report['results']['slide'], report['results']['whole']
    assert slide['test_cfg']['mode'] == 'slide' and whole['test_cfg']['mode'] == 'whole'
    assert slide['images'] == whole['images'] == 2
    assert 0 <= whole['FOV AUC'] <= 100 and whole['seconds_per_image'] > 0
    assert report['whole_vs_slide']['speedup'] == pytest.approx(slide['seconds_per_image'] / whole['seconds_per_image'])
    assert f'{report["whole_vs_slide"]["speedup"]:.2f}x faster' in printed


def test_one_window_covering_the_image_scores_as_whole_mode(bench, tiny_config, tiny_checkpoint, tmp_path):
    """The synthetic images are 64x64: a 64x64 window is the whole image, so both modes must agree exactly."""
    json_file = tmp_path / 'wvs.json'
    bench.main([tiny_config, tiny_checkpoint, '--json', str(json_file), '--cfg-options',
                'model.test_cfg.crop_size=(64,64)', 'model.test_cfg.stride=(42,42)'])
    results = json.loads(json_file.read_text())['results']
    for label, _ in bench.METRICS:
        assert results['whole'][label] == results['slide'][label], label


def test_compile_adds_the_compiled_modes(bench, tiny_config, tiny_checkpoint, tmp_path, monkeypatch):
    compiled = []
    monkeypatch.setattr(torch, 'compile', lambda fn, **kwargs: compiled.append(fn.__name__) or fn)
    json_file = tmp_path / 'wvs.json'
    bench.main([tiny_config, tiny_checkpoint, '--compile', '--json', str(json_file), '--cfg-options', *SLIDE])
    results = json.loads(json_file.read_text())['results']
    assert list(results) == ['slide', 'whole', 'slide+compile', 'whole+compile']
    assert [r['test_cfg'].get('compile', False) for r in results.values()] == [False, False, True, True]
    assert compiled == ['encode_decode', 'encode_decode']


def test_slide_mode_needs_window_settings(bench, tiny_config, tiny_checkpoint):
    with pytest.raises(SystemExit, match='model.test_cfg has no crop_size or stride for slide mode'):
        bench.main([tiny_config, tiny_checkpoint])
