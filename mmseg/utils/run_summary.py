"""Gather one training run's figures (final metrics, speed, schedule) into a small summary JSON.

    python -m mmseg.utils.run_summary --out summary.json --work-dir WORK --bench-dir DIR --config CFG ...
"""
import argparse
import glob
import json
import os.path as osp
from typing import Optional

from mmcv.fileio import dump


def last_val_record(log_json: str) -> Optional[dict]:
    """The last ``mode == 'val'`` line of a runner JSON log."""
    last = None
    with open(log_json) as f:
        for line in f:
            line = line.strip()
            if line and '"val"' in line:
                rec = json.loads(line)
                if rec.get('mode') == 'val':
                    last = rec
    return last


def newest(pattern: str) -> Optional[str]:
    files = sorted(glob.glob(pattern), key=osp.getmtime)
    return files[-1] if files else None


def load_json(path: Optional[str]) -> Optional[dict]:
    if path is None or not osp.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def summarize(work_dir: str, bench_dir: str, config: str, iters: int, wall_s: float,
              cuda_graph: bool = False) -> dict:
    log_json = newest(osp.join(work_dir, '*.log.json'))
    eval_json = load_json(newest(osp.join(work_dir, 'eval_*.json')))
    summary = dict(config=config, max_iters=iters, full_schedule=iters >= 40000, wall_s=wall_s,
                   cuda_graph=cuda_graph,
                   train_log=osp.basename(log_json) if log_json else None,
                   val_during_training=last_val_record(log_json) if log_json else None,
                   test=eval_json['metric'] if eval_json else None)
    for name in ('bench_train_bs4_eager', 'bench_train_bs4_graph', 'bench_train_bs16_eager',
                 'bench_train_bs16_graph', 'bench_test'):
        report = load_json(osp.join(bench_dir, f'{name}.json'))
        if report is not None:
            summary[name] = {k: report[k] for k in ('images_per_s', 'ms_per_image', 'device', 'batch_size',
                                                    'data_time_share') if k in report}
    if log_json:
        times = []
        with open(log_json) as f:
            for line in f:
                rec = json.loads(line)
                if rec.get('mode') == 'train' and 'time' in rec:
                    times.append(rec['time'])
        if times:
            summary['train_s_per_iter_median'] = sorted(times)[len(times) // 2]
    return summary


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', required=True)
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--bench-dir', required=True)
    parser.add_argument('--config', required=True)
    parser.add_argument('--iters', type=int, required=True)
    parser.add_argument('--wall', type=float, required=True)
    parser.add_argument('--cuda-graph', default='False', help='True when training used CUDA graphs')
    args = parser.parse_args(argv)
    summary = summarize(args.work_dir, args.bench_dir, args.config, args.iters, args.wall,
                        cuda_graph=args.cuda_graph == 'True')
    dump(summary, args.out)
    print(json.dumps(summary, indent=1))


if __name__ == '__main__':
    main()
