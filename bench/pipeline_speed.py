"""Per-sample time of the DRIVE training pipeline: deferred resize vs resizing the whole image first.

    python bench/pipeline_speed.py [--data-root data/DRIVE] [--samples 2000] [--seed 0]

Without --data-root, synthetic DRIVE-format data (565x584) is generated and converted in a
temporary folder. All rows run in one process on one core, after one warm-up pass per row.
"""
import argparse
import os.path as osp
import sys
import tempfile
import time
from typing import Optional

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmcv.config import Config  # noqa: E402
from mmseg.datasets import DRIVEDataset  # noqa: E402
from mmseg.datasets.converters import convert_drive  # noqa: E402
from mmseg.datasets.pipelines import Compose  # noqa: E402
from mmseg.datasets.pipelines.loading import clear_cache  # noqa: E402
from mmseg.utils.synthetic import make_synthetic_drive

CONFIG = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs/_base_/datasets/drive.py')


def _pipeline(train_pipeline: list, deferred: bool, cache: bool) -> Compose:
    steps = [dict(step, cache=cache) if step['type'].startswith('Load') else dict(step) for step in train_pipeline]
    return Compose(steps, allow_deferred=deferred)


def time_per_sample(dataset: DRIVEDataset, pipeline: Compose, samples: int, seed: int) -> float:
    dataset.pipeline = pipeline
    clear_cache()
    np.random.seed(seed)
    for idx in range(len(dataset)):  # warm-up (fills the cache when it is on)
        dataset[idx]
    start = time.perf_counter()
    for i in range(samples):
        dataset[i % len(dataset)]
    return (time.perf_counter() - start) / samples


def run(data_root: Optional[str], samples: int, seed: int) -> None:
    cfg = Config.fromfile(CONFIG)
    with tempfile.TemporaryDirectory() as tmp:
        if data_root is None:
            zips = make_synthetic_drive(osp.join(tmp, 'zips'), num_train=20, num_test=1, seed=seed)
            data_root = osp.join(tmp, 'DRIVE')
            convert_drive(*zips, out_dir=data_root, progress=False, logger='silent')
        dataset = DRIVEDataset(pipeline=[], data_root=data_root, img_dir='images/training',
                               ann_dir='annotations/training')
        rows = [('deferred resize + crop, cached decode', True, True),
                ('resize whole image, then crop, cached decode', False, True),
                ('resize whole image, then crop, decode every time (mmseg 0.x)', False, False)]
        print(f'DRIVE train pipeline, {samples} samples from {data_root}')
        baseline = None
        for name, deferred, cache in rows:
            seconds = time_per_sample(dataset, _pipeline(cfg.train_pipeline, deferred, cache), samples, seed)
            baseline = baseline or seconds
            print(f'{name:<66} {seconds * 1e3:7.3f} ms/sample  ({seconds / baseline:5.1f}x)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data-root', help='converted DRIVE folder (default: synthetic data)')
    parser.add_argument('--samples', type=int, default=2000)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    run(args.data_root, args.samples, args.seed)


if __name__ == '__main__':
    main()
