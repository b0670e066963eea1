"""tools/compare_results.py: paired per-image comparison of eval JSONs (hand-made here), and its refusals."""
import json

import numpy as np
import pytest

from mmcv.fileio import load

NUM_IMAGES = 12
BASE = np.linspace(0.70, 0.81, NUM_IMAGES)  # side A's per-image vessel Dice


@pytest.fixture
def compare(load_tool):
    return load_tool('compare_results').main


def eval_json(path, values, names=None, metric='Dice.vessel', **extra) -> str:
    names = names or [f'{i:02d}_test.png' for i in range(len(values))]
    per_image = [{'image': n, 'Dice.vessel': 0.8, 'fov.clDice': 0.5, **extra, metric: float(v)}
                 for n, v in zip(names, values)]
    path.write_text(json.dumps({'metric': {'mDice': float(np.mean(values))}, 'per_image': per_image}))
    return str(path)


def refused(compare, *argv) -> str:
    with pytest.raises(SystemExit) as err:
        compare(list(argv))
    assert isinstance(err.value.code, str) and '\n' not in err.value.code, 'one-line message, exit status 1'
    return err.value.code


def test_a_consistent_gain_is_significant(compare, tmp_path, capsys):
    gain = 0.02 + 0.001 * np.arange(NUM_IMAGES)  # B higher on every image, all differences distinct
    a, b = eval_json(tmp_path / 'a.json', BASE), eval_json(tmp_path / 'b.json', BASE + gain)
    compare([a, b, '--out', str(tmp_path / 'cmp.json')])
    result = load(tmp_path / 'cmp.json')
    diff = result['difference']
    assert result['images'] == NUM_IMAGES and diff['mean'] == pytest.approx(gain.mean())
    assert diff['p_value'] == pytest.approx(2 / 2 ** NUM_IMAGES)  # exact: all 12 signs positive, two-sided
    assert diff['b_higher'] == NUM_IMAGES and gain.min() <= diff['ci95'][0] < diff['ci95'][1] <= gain.max()
    assert [e['difference'] for e in result['per_image']] == pytest.approx(gain.tolist())
    out = capsys.readouterr().out
    assert 'mean Dice.vessel' in out and 'Wilcoxon signed-rank' in out and 'p = 0.000488' in out


def test_differences_that_cancel_out_are_not_significant(compare, tmp_path):
    swing = np.repeat([0.01, 0.02, 0.03, 0.04, 0.05, 0.06], 2) * np.tile([1, -1], NUM_IMAGES // 2)
    a, b = eval_json(tmp_path / 'a.json', BASE), eval_json(tmp_path / 'b.json', BASE + swing)
    compare([a, b, '--out', str(tmp_path / 'cmp.json')])
    diff = load(tmp_path / 'cmp.json')['difference']
    assert diff['mean'] == pytest.approx(0, abs=1e-12) and diff['p_value'] > 0.9
    assert diff['ci95'][0] < 0 < diff['ci95'][1]
    compare([a, b, '--out', str(tmp_path / 'again.json')])
    assert load(tmp_path / 'again.json')['difference']['ci95'] == diff['ci95'], 'the bootstrap seed is fixed'


def test_identical_models_differ_by_nothing(compare, tmp_path):
    a = eval_json(tmp_path / 'a.json', BASE)
    compare([a, a, '--out', str(tmp_path / 'cmp.json')])
    diff = load(tmp_path / 'cmp.json')['difference']
    assert diff['p_value'] == 1.0 and diff['ci95'] == [0.0, 0.0] and diff['same'] == NUM_IMAGES


def test_several_seeds_per_side_are_averaged_per_image_first(compare, tmp_path, capsys):
    a = [eval_json(tmp_path / f'a{s}.json', BASE + s * 0.01) for s in range(2)]
    b = [eval_json(tmp_path / f'b{s}.json', BASE + 0.03 + s * 0.02) for s in range(3)]
    compare(['--a', *a, '--b', *b, '--metric', 'Dice.vessel', '--out', str(tmp_path / 'cmp.json')])
    result = load(tmp_path / 'cmp.json')
    assert result['a']['seed_means'] == pytest.approx([BASE.mean(), BASE.mean() + 0.01])
    assert result['b']['seed_std'] == pytest.approx(0.02)
    assert result['difference']['mean'] == pytest.approx(0.05 - 0.005)  # (0.03 + 0.02) - 0.005
    assert result['per_image'][0]['a'] == pytest.approx(BASE[0] + 0.005)
    out = capsys.readouterr().out
    assert 'Each file (seed) over the images' in out and 'b2.json' in out
    # seed level: A's seed means differ by 0.01, B's by 0.02 each; Welch's t-test as scipy computes it
    from scipy import stats
    seeds = result['seeds']
    expected = stats.ttest_ind([BASE.mean() + 0.03 + s * 0.02 for s in range(3)],
                               [BASE.mean() + s * 0.01 for s in range(2)], equal_var=False)
    assert seeds['welch_p_value'] == pytest.approx(expected.pvalue) and seeds['welch_statistic'] > 0
    assert seeds['seed_spread'] == pytest.approx(0.02) and seeds['exceeds_seed_spread'] is True
    assert 'the mean difference exceeds it; Welch t-test over the seed means' in out


def test_a_gain_within_the_seed_spread_is_flagged(compare, tmp_path, capsys):
    """Per image B wins everywhere, but retraining moves each side's mean by more than the gain."""
    a = [eval_json(tmp_path / f'a{s}.json', BASE + d) for s, d in enumerate((0.0, 0.04, -0.04))]
    b = [eval_json(tmp_path / f'b{s}.json', BASE + 0.01 + d) for s, d in enumerate((0.03, -0.03, 0.0))]
    compare(['--a', *a, '--b', *b, '--out', str(tmp_path / 'cmp.json')])
    result = load(tmp_path / 'cmp.json')
    assert result['difference']['b_higher'] == NUM_IMAGES  # the per-image test alone would call it a win
    assert result['seeds']['exceeds_seed_spread'] is False and result['seeds']['welch_p_value'] > 0.5
    assert 'does not exceed it' in capsys.readouterr().out


def test_one_file_against_several_uses_the_spread_of_the_side_that_has_one(compare, tmp_path, capsys):
    a = eval_json(tmp_path / 'a.json', BASE)
    b = [eval_json(tmp_path / f'b{s}.json', BASE + 0.03 + s * 0.02) for s in range(3)]
    compare(['--a', a, '--b', *b, '--out', str(tmp_path / 'cmp.json')])
    seeds = load(tmp_path / 'cmp.json')['seeds']
    assert seeds['seed_spread'] == pytest.approx(0.02) and seeds['exceeds_seed_spread'] is True
    assert seeds['welch_p_value'] is None and 'needs 2+ files on both sides' in capsys.readouterr().out


def test_one_file_per_side_has_no_seed_level_test(compare, tmp_path):
    a, b = eval_json(tmp_path / 'a.json', BASE), eval_json(tmp_path / 'b.json', BASE + 0.01)
    compare([a, b, '--out', str(tmp_path / 'cmp.json')])
    assert load(tmp_path / 'cmp.json')['seeds'] == {'seed_spread': None, 'exceeds_seed_spread': None,
                                                    'welch_statistic': None, 'welch_p_value': None}


def test_other_metric_and_nan_images_left_out(compare, tmp_path):
    values = np.append(BASE, np.nan)
    names = [f'{i:02d}_test.png' for i in range(NUM_IMAGES + 1)]
    a = eval_json(tmp_path / 'a.json', values, names, metric='fov.clDice')
    b = eval_json(tmp_path / 'b.json', values + 0.01, names, metric='fov.clDice')
    compare([a, b, '--metric', 'fov.clDice', '--out', str(tmp_path / 'cmp.json')])
    result = load(tmp_path / 'cmp.json')
    assert result['left_out'] == [names[-1]] and result['images'] == NUM_IMAGES


def test_different_image_sets_are_refused_naming_the_images(compare, tmp_path):
    names = [f'{i:02d}_test.png' for i in range(NUM_IMAGES)]
    a = eval_json(tmp_path / 'a.json', BASE, names)
    b = eval_json(tmp_path / 'b.json', BASE, names[:-1] + ['99_other.png'])
    message = refused(compare, a, b)
    assert 'evaluate different images' in message and '11_test.png' in message and '99_other.png' in message
    message = refused(compare, '--a', a, b, '--b', a)  # within one side too
    assert 'a.json and' in message and 'b.json evaluate different images' in message


def test_json_without_per_image_figures_is_refused(compare, tmp_path):
    old = tmp_path / 'old.json'
    old.write_text(json.dumps({'metric': {'mDice': 0.8}}))
    message = refused(compare, eval_json(tmp_path / 'a.json', BASE), str(old))
    assert 'old.json has no per-image figures' in message and 're-test' in message


def test_unknown_metric_missing_file_and_bad_usage_are_clear_errors(compare, tmp_path):
    a = eval_json(tmp_path / 'a.json', BASE)
    message = refused(compare, a, a, '--metric', 'fov.AUCC')
    assert "no per-image 'fov.AUCC'" in message and 'Dice.vessel, fov.clDice' in message
    assert 'cannot read' in refused(compare, a, str(tmp_path / 'missing.json'))
    (tmp_path / 'broken.json').write_text('{"per_image": [')
    assert 'broken.json' in refused(compare, a, str(tmp_path / 'broken.json'))
    for argv in ([a], [a, a, '--a', a, '--b', a], ['--a', a]):
        with pytest.raises(SystemExit) as err:
            compare(argv)
        assert err.value.code == 2  # argparse usage error
