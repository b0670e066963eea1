"""Export a segmentor to ONNX: python tools/pytorch2onnx.py CONFIG --checkpoint X.pth --output-file m.onnx.

The graph takes a normalised image batch [N, 3, H, W] and returns class logits [N, C, H, W]
(the segmentor's ``encode_decode``); apply softmax/argmax to the output yourself.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmcv.config import Config, DictAction  # noqa: E402
from mmcv.fileio import mkdir_or_exist  # noqa: E402
from mmseg.apis.inference import init_segmentor  # noqa: E402
from mmseg.utils.onnx_export import export_onnx, verify_onnx  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Convert a segmentor to ONNX')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--checkpoint', help='checkpoint file (default: random weights)')
    parser.add_argument('--output-file', default='tmp.onnx', help='ONNX file to write')
    parser.add_argument('--opset-version', type=int, default=17, help='ONNX opset version')
    parser.add_argument('--shape', type=int, nargs='+', default=[256, 256],
                        help='input height and width to trace at (one value: square)')
    parser.add_argument('--verify', action='store_true', help='compare onnxruntime with PyTorch outputs')
    parser.add_argument('--atol', type=float, default=1e-3,
                        help='largest absolute logit difference --verify accepts')
    parser.add_argument('--dynamic-export', action='store_true',
                        help='make batch size, height and width dynamic')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override some settings in the used config, the key-value pair in xxx=yyy format '
                        'will be merged into config file.')
    args = parser.parse_args(argv)
    if len(args.shape) not in (1, 2):
        parser.error(f'--shape takes H W or one size, got {args.shape}')
    args.shape = tuple(args.shape * 2 if len(args.shape) == 1 else args.shape)
    return args


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config, cfg_options=args.cfg_options)
    if args.checkpoint is None:
        print('no --checkpoint given: exporting randomly initialised weights')
    model = init_segmentor(cfg, args.checkpoint, device='cpu')
    mkdir_or_exist(osp.dirname(osp.abspath(args.output_file)))
    try:
        export_onnx(model, args.output_file, args.shape, args.opset_version, args.dynamic_export)
    except ImportError as err:
        sys.exit(f'error: {err}')
    print(f'Successfully exported ONNX model: {args.output_file}')
    if not args.verify:
        return
    h, w = args.shape
    shapes = [(1, h, w)] + ([(2, h + 32, w + 32)] if args.dynamic_export else [])
    try:
        diff = verify_onnx(model, args.output_file, shapes)
    except ImportError as err:
        print(f'skipping the check: {err}')
        return
    except ValueError as err:
        sys.exit(f'error: {err}')
    print(f'max abs difference of logits (onnxruntime vs PyTorch) over inputs (N, H, W) {shapes}: {diff:.3g}')
    if diff > args.atol:
        sys.exit(f'error: the ONNX outputs differ from PyTorch by {diff:.3g} > --atol {args.atol}')
    print('The outputs are the same between PyTorch and ONNX')


if __name__ == '__main__':
    main()
