"""Find the vessel-probability threshold with the best F1 on the training images and store it in a checkpoint.

    python tools/calibrate_threshold.py CONFIG CHECKPOINT [--split train|val] [--out CALIBRATED.pth]
    python tools/test.py CONFIG CALIBRATED.pth --eval mDice --cfg-options model.test_cfg.threshold=calibrated

The new checkpoint (default: CHECKPOINT with the suffix _calibrated.pth) is the given one with
``meta['threshold'] = {value, f1, f1_at_0.5, source, images, bins}``; the input is not changed. Calibrate on the
training split (the default) or a held-out fold, never on the images you report.
"""
import argparse
import io
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import torch  # noqa: E402

from mmcv.checkpoint import _load_checkpoint  # noqa: E402
from mmcv.config import Config, DictAction  # noqa: E402
from mmcv.fileio import atomic_write  # noqa: E402
from mmseg.apis.calibration import calibrate_threshold  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--split', choices=['train', 'val'], default='train',
                        help='images to calibrate on (default: the training split, scored as the validation set is)')
    parser.add_argument('--bins', type=int, default=1000, help='probability bins (threshold resolution 1/bins)')
    parser.add_argument('--out', help='the calibrated checkpoint (default: CHECKPOINT stem + _calibrated.pth)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config keys (a.b=c)')
    args = parser.parse_args(argv)
    out = args.out or osp.splitext(args.checkpoint)[0] + '_calibrated.pth'
    if osp.abspath(out) == osp.abspath(args.checkpoint):
        parser.error('--out must differ from CHECKPOINT: the input checkpoint is never modified')
    if osp.isdir(out) or not osp.isdir(osp.dirname(osp.abspath(out))):
        parser.error(f'--out {out}: not a file path in an existing folder')
    cfg = Config.fromfile(args.config, cfg_options=args.cfg_options)
    try:
        found = calibrate_threshold(cfg, args.checkpoint, split=args.split, bins=args.bins)
    except (ValueError, FileNotFoundError, KeyError) as e:
        sys.exit(f'error: {e}')
    ckpt = _load_checkpoint(args.checkpoint, map_location='cpu')
    ckpt.setdefault('meta', {})['threshold'] = found
    buffer = io.BytesIO()
    torch.save(ckpt, buffer)
    with atomic_write(out, 'wb') as f:
        f.write(buffer.getbuffer())
    print(f"threshold {found['value']:.4f}: F1 {100 * found['f1']:.2f} on {found['source']} "
          f"(F1 at 0.5: {100 * found['f1_at_0.5']:.2f}); written to {out}")


if __name__ == '__main__':
    main()
