"""Paired comparison of two models on the same test images, from the ``per_image`` lists of their eval JSONs.

Each side is one or more eval JSONs (several seeds of one recipe); a side's value of an image is its mean over
the side's JSONs. The differences B - A of the images are summarised by their mean, median and spread, a
Wilcoxon signed-rank test (``scipy.stats.wilcoxon``, two-sided) and a bootstrap 95% interval of the mean
difference (``scipy.stats.bootstrap``, BCa, fixed seed: the same files give the same interval).
"""
import math
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np
from prettytable import PrettyTable
from scipy import stats

DEFAULT_METRIC = 'Dice.vessel'
Evaluation = Tuple[str, dict]  # (file name, the loaded eval JSON)


class CompareError(ValueError):
    """Evaluations that cannot be compared (missing per-image figures, other images, unknown metric)."""


def _std(values: np.ndarray) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else math.nan


def per_image_values(evaluations: Sequence[Evaluation], metric: str) -> Dict[str, List[float]]:
    """``{image name: [value of metric in each evaluation]}`` of one side; every evaluation must score the same
    images and carry ``per_image``."""
    values: Dict[str, List[float]] = {}
    first = None
    for file, record in evaluations:
        entries = record.get('per_image') if isinstance(record, dict) else None
        if not entries:
            raise CompareError(f'{file} has no per-image figures (per_image): re-test its checkpoint with this '
                               'version of tools/test.py')
        if metric not in entries[0]:
            keys = ', '.join(k for k in entries[0] if k != 'image')
            raise CompareError(f'{file}: no per-image {metric!r}; it has {keys}')
        names = [e['image'] for e in entries]
        if first is None:
            first = (file, names)
        else:
            check_same_images(first, (file, names))
        for entry in entries:
            value = entry[metric]
            values.setdefault(entry['image'], []).append(math.nan if value is None else float(value))
    return values


def check_same_images(a: Tuple[str, Sequence[str]], b: Tuple[str, Sequence[str]]) -> None:
    """Refuse two evaluations of different image sets, naming the images only one of them has."""
    (file_a, names_a), (file_b, names_b) = a, b
    if len(set(names_a)) != len(names_a) or len(set(names_b)) != len(names_b):
        raise CompareError(f'{file_a if len(set(names_a)) != len(names_a) else file_b} names an image twice')
    only_a, only_b = sorted(set(names_a) - set(names_b)), sorted(set(names_b) - set(names_a))
    if only_a or only_b:
        parts = [f'only in {file}: {", ".join(names[:10])}{" ..." if len(names) > 10 else ""}'
                 for file, names in ((file_a, only_a), (file_b, only_b)) if names]
        raise CompareError(f'{file_a} and {file_b} evaluate different images ({"; ".join(parts)})')


def _side_summary(evaluations: Sequence[Evaluation], values: Dict[str, List[float]],
                  images: Sequence[str]) -> Tuple[Dict[str, Any], np.ndarray]:
    """The summary of one side, and its per-image values (mean over its files) in the order of ``images``."""
    table = np.array([values[name] for name in images], dtype=np.float64)  # [image, evaluation]
    means = table.mean(axis=1)
    seed_means = table.mean(axis=0)
    return {'files': [file for file, _ in evaluations], 'mean': float(means.mean()), 'std': _std(means),
            'seed_means': [float(m) for m in seed_means], 'seed_std': _std(seed_means)}, means


def mean_interval(diff: np.ndarray, n_resamples: int, seed: int) -> List[float]:
    """Bootstrap 95% interval (BCa) of the mean of ``diff``; a point when the differences are all equal."""
    if np.ptp(diff) == 0:
        return [float(diff[0]), float(diff[0])]
    result = stats.bootstrap((diff,), np.mean, n_resamples=n_resamples, confidence_level=0.95,
                             rng=np.random.default_rng(seed))
    return [float(result.confidence_interval.low), float(result.confidence_interval.high)]


def signed_rank_test(diff: np.ndarray) -> Dict[str, float]:
    """Two-sided Wilcoxon signed-rank test of the differences (zero differences dropped); p = 1 when all are 0."""
    if not np.any(diff):
        return {'statistic': 0.0, 'p_value': 1.0}
    result = stats.wilcoxon(diff)
    return {'statistic': float(result.statistic), 'p_value': float(result.pvalue)}


def seed_level_test(seed_means_a: Sequence[float], seed_means_b: Sequence[float]) -> Dict[str, Any]:
    """Training-run variation: Welch's t-test of the two sides' seed means (each file's mean over the images;
    ``scipy.stats.ttest_ind``, unequal variances, two-sided) where both sides have 2+ files, and whether the
    mean difference exceeds the larger seed spread (std of the seed means) -- a win smaller than the spread of
    the seeds is not one. The per-image Wilcoxon test says whether B beats A on these images with these trained
    models; this one says whether retraining would likely keep the order."""
    a, b = np.asarray(seed_means_a, dtype=np.float64), np.asarray(seed_means_b, dtype=np.float64)
    spreads = [value for value in (_std(a), _std(b)) if not math.isnan(value)]  # a one-file side has none
    spread = max(spreads) if spreads else math.nan
    record: Dict[str, Any] = {'seed_spread': None if math.isnan(spread) else spread,
                              'exceeds_seed_spread': None if math.isnan(spread) else
                              bool(abs(b.mean() - a.mean()) > spread),
                              'welch_statistic': None, 'welch_p_value': None}
    if len(a) >= 2 and len(b) >= 2 and (np.ptp(a) > 0 or np.ptp(b) > 0):
        result = stats.ttest_ind(b, a, equal_var=False)
        record.update(welch_statistic=float(result.statistic), welch_p_value=float(result.pvalue))
    return record


def compare_evaluations(a: Sequence[Evaluation], b: Sequence[Evaluation], metric: str = DEFAULT_METRIC,
                        n_resamples: int = 9999, seed: int = 0) -> Dict[str, Any]:
    """Compare side B with side A on ``metric`` image by image (differences B - A).

    Returns JSON types: ``metric``; ``images`` (compared) and ``left_out`` (images whose value is NaN on a
    side, e.g. clDice of an image without vessels); ``a`` and ``b``: files, mean and spread (std over images)
    of the per-image values (each the mean over the side's files), ``seed_means`` (each file's mean over the
    images) and ``seed_std``; ``difference``: mean, median, std, ``ci95`` (bootstrap of the mean), the
    Wilcoxon ``statistic`` and ``p_value``, and how many images B scores higher, lower or the same;
    ``seeds``: :func:`seed_level_test` of the sides' seed means (with one file per side: no spread, no test);
    ``per_image``: image, a, b, difference.
    """
    if not a or not b:
        raise CompareError('each side needs at least one eval JSON')
    values_a, values_b = per_image_values(a, metric), per_image_values(b, metric)
    check_same_images((a[0][0], list(values_a)), (b[0][0], list(values_b)))
    images = sorted(values_a)
    left_out = [name for name in images if np.isnan(values_a[name] + values_b[name]).any()]
    images = [name for name in images if name not in left_out]
    if len(images) < 2:
        raise CompareError(f'{len(images)} image(s) with a {metric} on both sides: a paired comparison needs 2 '
                           f'or more' + (f' ({len(left_out)} left out as NaN)' if left_out else ''))
    side_a, means_a = _side_summary(a, values_a, images)
    side_b, means_b = _side_summary(b, values_b, images)
    diff = means_b - means_a
    difference = {'mean': float(diff.mean()), 'median': float(np.median(diff)), 'std': _std(diff),
                  'ci95': mean_interval(diff, n_resamples, seed), **signed_rank_test(diff),
                  'b_higher': int((diff > 0).sum()), 'b_lower': int((diff < 0).sum()), 'same': int((diff == 0).sum())}
    return {'metric': metric, 'images': len(images), 'left_out': left_out, 'a': side_a, 'b': side_b,
            'difference': difference, 'seeds': seed_level_test(side_a['seed_means'], side_b['seed_means']), 'bootstrap': {'n_resamples': n_resamples, 'seed': seed, 'method': 'BCa'},
            'per_image': [{'image': name, 'a': float(va), 'b': float(vb), 'difference': float(d)}
                          for name, va, vb, d in zip(images, means_a, means_b, diff)]}


def _fmt(value: float) -> str:
    return 'nan' if value is None or math.isnan(value) else f'{value:.4f}'


def comparison_tables(result: Dict[str, Any]) -> str:
    """The result of :func:`compare_evaluations` as text: one table of the two sides and their difference and,
    when a side has several files, one of each file's mean over the images."""
    diff = result['difference']
    table = PrettyTable(['', 'files', f'mean {result["metric"]}', 'std (images)', 'std (seed means)'])
    for side in ('a', 'b'):
        summary = result[side]
        table.add_row([side.upper(), len(summary['files']), _fmt(summary['mean']), _fmt(summary['std']),
                       _fmt(summary['seed_std']) if len(summary['files']) > 1 else '- (one file)'])
    table.add_row(['B - A', '', _fmt(diff['mean']), _fmt(diff['std']), ''])
    lines = [table.get_string(),
             f'B - A over {result["images"]} images: mean {_fmt(diff["mean"])}, median {_fmt(diff["median"])}, '
             f'95% bootstrap interval of the mean [{_fmt(diff["ci95"][0])}, {_fmt(diff["ci95"][1])}]',
             f'Wilcoxon signed-rank: statistic {diff["statistic"]:g}, p = {diff["p_value"]:.3g}; B higher on '
             f'{diff["b_higher"]}, lower on {diff["b_lower"]}, same on {diff["same"]} images']
    if result['left_out']:
        lines.append(f'left out (NaN on a side): {", ".join(result["left_out"])}')
    if max(len(result['a']['files']), len(result['b']['files'])) > 1:
        seeds = PrettyTable(['side', 'file', f'mean {result["metric"]}'])
        for side in ('a', 'b'):
            for file, mean in zip(result[side]['files'], result[side]['seed_means']):
                seeds.add_row([side.upper(), file, _fmt(mean)])
        lines.append('Each file (seed) over the images:\n' + seeds.get_string())
        level = result['seeds']
        verdict = (f'seed spread (larger std of the seed means) {_fmt(level["seed_spread"])}: the mean difference '
                   f'{"exceeds" if level["exceeds_seed_spread"] else "does not exceed"} it')
        if level['welch_p_value'] is not None:
            verdict += f'; Welch t-test over the seed means: t = {level["welch_statistic"]:.3g}, p = ' \
                       f'{level["welch_p_value"]:.3g}'
        else:
            verdict += '; a seed-level test needs 2+ files on both sides'
        lines.append(verdict)
    return '\n'.join(lines)
