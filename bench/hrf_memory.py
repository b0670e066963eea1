"""Peak memory of testing one full-size HRF image (3504x2336) with the UNet++ HRF config in slide mode.

    python bench/hrf_memory.py                                # CPU, 3504x2336, the config's window_batch
    python bench/hrf_memory.py --window-batch 64 --json hrf_memory.json
    python bench/hrf_memory.py --size 700 467                 # a quick check at a fifth of the size

The test scale is set to the image size (for 3504x2336 the same as the HRF config's (2336, 3504)).

It runs the test path of tools/test.py (the config's data.test pipeline, slide inference with batched windows,
FOV-masked per-image records, evaluation) on one synthetic image in HRF's layout, written to a temporary
folder, in this process (no loader workers). Reported: resident memory (RSS) once the model is built, the
peak RSS during the test (sampled every 2 ms from /proc), the process's lifetime peak (ru_maxrss), the peak
of Python/numpy allocations during the test (tracemalloc) and, on CUDA, torch's peak allocation; beside
them the size of one full-image float32 map, for scale. Slide inference keeps one window batch of
activations at a time, so the peak should grow with the image only through a few full-image maps.
"""
import argparse
import json
import os
import os.path as osp
import resource
import sys
import tempfile
import threading
import time
import tracemalloc
from typing import Dict, Tuple

import cv2
import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmcv.config import Config  # noqa: E402
from mmseg.apis.test import single_gpu_test  # noqa: E402
from mmseg.apis.testing import build_test_loader, build_test_model  # noqa: E402
from mmseg.apis.train import wrap_model  # noqa: E402
from mmseg.utils.provenance import provenance_record  # noqa: E402

DEFAULT_CONFIG = 'configs/unet++/unet++_r34_256x256_40k_hrf.py'
MB = 1024 ** 2


def write_hrf_image(root: str, size: Tuple[int, int], seed: int = 0) -> None:
    """One fundus-like image ``size`` (w, h) with labels and FOV mask in HRF's converted layout (validation)."""
    w, h = size
    rng = np.random.default_rng(seed)
    fov = np.zeros((h, w), np.uint8)
    cv2.circle(fov, (w // 2, h // 2), int(0.47 * w), 1, -1)  # cut at the top and bottom, as HRF's
    vessels = np.zeros((h, w), np.uint8)
    for _ in range(60):
        p, q = rng.integers(0, [w, h], size=(2, 2))
        cv2.line(vessels, tuple(map(int, p)), tuple(map(int, q)), 1, max(1, int(rng.integers(2, 14) * w / 3504)))
    vessels &= fov
    img = np.zeros((h, w, 3), np.uint8)
    img[fov > 0] = (40, 90, 170)
    img[vessels > 0] = (20, 40, 90)
    for sub, name, array in (('images', '01_h.png', img), ('annotations', '01_h.png', vessels),
                             ('masks', '01_h_mask.png', fov)):
        os.makedirs(osp.join(root, sub, 'validation'), exist_ok=True)
        cv2.imwrite(osp.join(root, sub, 'validation', name), array)


def current_rss() -> int:
    """Resident set size of this process in bytes (Linux /proc)."""
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


class PeakRSS:
    """Context manager sampling this process's RSS in a thread; ``peak`` is the largest sample."""

    def __init__(self, interval: float = 0.002):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, current_rss())
            time.sleep(self.interval)

    def __enter__(self) -> 'PeakRSS':
        self.peak = current_rss()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, current_rss())


def measure(config: str, size: Tuple[int, int], window_batch=None, checkpoint=None) -> Dict[str, float]:
    """Test one synthetic image of ``size`` with ``config``; memory figures in MiB and the test time."""
    cfg = Config.fromfile(config)
    if cfg.model.test_cfg.get('mode') != 'slide':
        raise ValueError(f'{config}: model.test_cfg.mode is {cfg.model.test_cfg.get("mode")!r}; this bench '
                         "measures slide inference (mode='slide')")
    if window_batch is not None:
        cfg.model.test_cfg.window_batch = window_batch
    aug = next((t for t in cfg.data.test.pipeline if t['type'] == 'MultiScaleFlipAug'), None)
    if aug is None:
        raise KeyError(f'{config}: data.test.pipeline has no MultiScaleFlipAug whose scale to set')
    aug.img_scale = size  # test at the image's own size (HRF's config keeps 3504x2336 as it is)
    cfg.gpu_ids = [0]
    cfg.data.workers_per_gpu = 0
    cfg.data.test_dataloader = dict(workers_per_gpu=0, persistent_workers=False)
    with tempfile.TemporaryDirectory() as root:
        write_hrf_image(root, size)
        cfg.data.test.data_root = root
        loader = build_test_loader(cfg)
        model = wrap_model(build_test_model(cfg, checkpoint), cfg, distributed=False)
        cuda = torch.cuda.is_available()
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        before = current_rss()
        tracemalloc.start()
        start = time.perf_counter()
        with PeakRSS() as rss:
            records = single_gpu_test(model, loader, pre_eval=True)
            metrics = loader.dataset.evaluate(records, metric='mDice', logger='silent')
        seconds = time.perf_counter() - start
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    w, h = size
    return dict(
        width=w, height=h, window_batch=cfg.model.test_cfg.get('window_batch', 16),
        crop_size=list(cfg.model.test_cfg.crop_size), stride=list(cfg.model.test_cfg.stride),
        device='cuda' if cuda else 'cpu', threads=torch.get_num_threads(), test_seconds=round(seconds, 2),
        rss_before_mib=round(before / MB, 1), rss_peak_during_test_mib=round(rss.peak / MB, 1),
        rss_increase_mib=round((rss.peak - before) / MB, 1),
        ru_maxrss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB, 1),
        tracemalloc_peak_mib=round(traced_peak / MB, 1),
        torch_cuda_peak_mib=round(torch.cuda.max_memory_allocated() / MB, 1) if cuda else None,
        one_full_image_float32_map_mib=round(w * h * 4 / MB, 1), mDice=round(metrics['mDice'], 4))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG, help=f'test config (default {DEFAULT_CONFIG})')
    parser.add_argument('--checkpoint', help='weights to load (default: random weights; memory is the same)')
    parser.add_argument('--size', type=int, nargs=2, default=(3504, 2336), metavar=('W', 'H'),
                        help='image size (default 3504 2336, HRF)')
    parser.add_argument('--window-batch', type=int, help="windows per forward pass (default: the config's)")
    parser.add_argument('--threads', type=int, help='torch CPU threads')
    parser.add_argument('--json', help='also write the figures to this JSON file')
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    result = measure(args.config, tuple(args.size), args.window_batch, args.checkpoint)
    result['provenance'] = provenance_record(config_file=args.config)
    for key, value in result.items():
        print(f'{key:34s} {value}')
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump(result, f, indent=2)


if __name__ == '__main__':
    main()
