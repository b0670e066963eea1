"""Per-image figures from the evaluation records of a test set (``dataset.pre_eval``), for the eval JSON.

A set's metrics pool the counts of its images; comparing two models image by image (tools/compare_results.py)
needs the figures of each image, computed here from the same records.
"""
import math
from typing import Any, Dict, List, Sequence

from .metrics import pre_eval_to_metrics
from .vessel_metrics import COUNT_KEYS, fov_metrics


def per_image_metrics(records: Sequence[Any], names: Sequence[str], class_names: Sequence[str],
                      positive_class: int = 1) -> List[Dict[str, Any]]:
    """One entry per image: ``{'image': name, 'Dice.<class>': ...}`` with the Dice of ``positive_class`` over the
    whole image (the per-image ``Dice.vessel``), plus, for a record with FOV counts, ``'fov.<key>'`` for every
    key of :func:`~mmseg.core.evaluation.vessel_metrics.fov_metrics` of that image alone (fractions; the
    component counts as integers). Keys are those of the set's metrics, so a figure means the same in both.
    """
    if len(records) != len(names):
        raise ValueError(f'{len(records)} evaluation records for {len(names)} image names')
    dice_key = f'Dice.{class_names[positive_class]}'
    entries = []
    for name, record in zip(names, records):
        entry: Dict[str, Any] = {'image': name,
                                 dice_key: float(pre_eval_to_metrics([record], ['mDice'])['Dice'][positive_class])}
        if isinstance(record, dict) and 'fov' in record:
            for key, value in fov_metrics([record['fov']]).items():
                entry[f'fov.{key}'] = int(value) if key in COUNT_KEYS and not math.isnan(value) else value
        entries.append(entry)
    return entries
