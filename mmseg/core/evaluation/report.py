"""Print evaluation results as mmseg-style tables (percent, 2 decimals) with prettytable."""
from typing import Dict, Optional, Sequence

import numpy as np
from prettytable import PrettyTable


def _percent(value: float) -> float:
    return round(float(value) * 100, 2)


def class_table(ret_metrics: Dict[str, np.ndarray], class_names: Sequence[str]) -> PrettyTable:
    """One row per class, one column per per-class metric (everything in ``ret_metrics`` but aAcc)."""
    table = PrettyTable()
    table.add_column('Class', list(class_names))
    for key, values in ret_metrics.items():
        if key != 'aAcc':
            table.add_column(key, [_percent(v) for v in values])
    return table


def summary_table(summary: Dict[str, float]) -> PrettyTable:
    """One row: aAcc and the class means (mIoU, mDice, mAcc, ...)."""
    table = PrettyTable()
    for key, value in summary.items():
        table.add_column(key, [_percent(value)])
    return table


def fov_table(fov: Dict[str, float], note: Optional[str] = None, counts: Sequence[str] = ()) -> str:
    """The FOV-masked vessel metrics as a one-row table (percent, but the ``counts`` keys as they are),
    followed by ``note`` if any."""
    table = PrettyTable()
    for key, value in fov.items():
        table.add_column(key, [round(float(value), 2) if key in counts else _percent(value)])
    return table.get_string() + (f'\n{note}' if note else '')
