"""Read the JSON logs written during training, plot their curves and summarise iteration times."""
import json
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np

from mmcv.fileio import atomic_write, mkdir_or_exist

# Bookkeeping fields of a log record; everything else is a value that can be plotted.
_NON_METRIC_KEYS = ('mode', 'iter', 'epoch')


def load_json_log(path: str) -> List[dict]:
    """The train/val records of one ``*.log.json`` file, in file order.

    Lines without a 'mode' (the environment/config header) are skipped; a line that is not JSON
    raises an error naming the file and line.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'log file not found: {path}')
    records = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f'{path}:{lineno} is not a JSON object ({err.msg}); expected one '
                                 'JSON record per line as written by the JSON logger hook') from err
            if isinstance(record, dict) and 'mode' in record:
                records.append(record)
    return records


def available_keys(records: Sequence[dict]) -> List[str]:
    """Every plottable key of ``records`` (train and val), sorted."""
    return sorted({k for r in records for k in r if k not in _NON_METRIC_KEYS})


def curve(records: Sequence[dict], key: str, mode: str) -> tuple:
    """(iterations, values) of ``key`` over the records of ``mode`` ('train' or 'val')."""
    points = [(r['iter'], r[key]) for r in records if r['mode'] == mode and key in r and 'iter' in r]
    if not points:
        return [], []
    iters, values = zip(*points)
    return list(iters), list(values)


def check_keys(logs: Sequence[Tuple[str, List[dict]]], keys: Sequence[str]) -> None:
    """Raise a KeyError naming the logs and their keys when a key appears in none of them."""
    found = set().union(*(available_keys(records) for _, records in logs))
    missing = [k for k in keys if k not in found]
    if missing:
        raise KeyError(f'key(s) {missing} appear in none of the logs ({", ".join(p for p, _ in logs)}); '
                       f'available keys: {", ".join(sorted(found)) or "none (no train/val records)"}')


def plot_curves(json_logs: Sequence[str], keys: Sequence[str], out_file: str,
                legend: Optional[Sequence[str]] = None, title: Optional[str] = None) -> None:
    """Draw one subplot per key (x axis: iteration), one line per log and mode, and save to ``out_file``.

    Validation values are drawn with markers since they are sparse. ``legend`` names the logs
    (default: their file names).
    """
    from matplotlib.figure import Figure  # without pyplot: no GUI backend, no global state

    names = list(legend) if legend is not None else [osp.basename(p) for p in json_logs]
    if len(names) != len(json_logs):
        raise ValueError(f'--legend has {len(names)} names for {len(json_logs)} logs; give one per log')
    logs = [(path, load_json_log(path)) for path in json_logs]
    check_keys(logs, keys)
    fig = Figure(figsize=(7, 3 * len(keys)), layout='constrained')
    axes = fig.subplots(len(keys), 1, squeeze=False)[:, 0]
    for ax, key in zip(axes, keys):
        for name, (_, records) in zip(names, logs):
            series = {mode: curve(records, key, mode) for mode in ('train', 'val')}
            series = {mode: s for mode, s in series.items() if s[0]}
            for mode, (iters, values) in series.items():
                label = f'{name} ({mode})' if len(series) > 1 else name
                style = dict(marker='o') if mode == 'val' else dict(linewidth=0.8)
                ax.plot(iters, values, label=label, **style)
        ax.set_xlabel('iter')
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fmt = osp.splitext(out_file)[1].lstrip('.') or 'png'
    mkdir_or_exist(osp.dirname(osp.abspath(out_file)))
    with atomic_write(out_file, mode='wb') as f:
        fig.savefig(f, format=fmt, dpi=120)


def train_time_stats(records: Sequence[dict], include_outliers: bool = False) -> dict:
    """Average/slowest/fastest seconds per iteration from the 'time' field of the train records.

    Each record's 'time' is the mean over its logging interval. The first record includes start-up
    (data workers, cuDNN autotuning) and is left out unless ``include_outliers``.
    """
    timed = [r for r in records if r['mode'] == 'train' and 'time' in r]
    if not include_outliers and len(timed) > 1:
        timed = timed[1:]
    if not timed:
        raise ValueError("no train record with a 'time' field in the log")
    times = np.array([r['time'] for r in timed], dtype=np.float64)
    slowest, fastest = int(times.argmax()), int(times.argmin())
    return dict(avg_iter_time=float(times.mean()), std_iter_time=float(times.std()),
                slowest_iter=timed[slowest].get('iter'), slowest_time=float(times[slowest]),
                fastest_iter=timed[fastest].get('iter'), fastest_time=float(times[fastest]),
                num_records=len(timed))
