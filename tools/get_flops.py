"""FLOPs and parameters of a segmentor: python tools/get_flops.py CONFIG [--shape H W] (mmseg 0.x's tool).

FLOPs are multiply-adds (mmseg's convention), counted by mmseg.utils.flops on the test-time forward pass
(backbone + decode head, ``test_cfg`` applied) of one image of the given shape.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmcv.config import Config, DictAction  # noqa: E402
from mmseg.apis.testing import build_test_model  # noqa: E402
from mmseg.utils.flops import count_flops  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Get the FLOPs and parameters of a segmentor')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--shape', type=int, nargs='+', default=[2048, 1024],
                        help='input image size: H W, or one number for a square (default: 2048 1024)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override some settings in the used config, the key-value pair in xxx=yyy format '
                        'will be merged into config file.')
    args = parser.parse_args(argv)
    if len(args.shape) not in (1, 2) or min(args.shape) < 1:
        parser.error(f'--shape takes H W or a single size, positive, got {" ".join(map(str, args.shape))}')
    return args


def main(argv=None):
    args = parse_args(argv)
    height, width = args.shape * 2 if len(args.shape) == 1 else args.shape
    cfg = Config.fromfile(args.config, cfg_options=args.cfg_options)
    model = build_test_model(cfg)
    in_channels = cfg.model.backbone.get('in_channels', 3)
    result = count_flops(model, (in_channels, height, width))
    split_line = '=' * 30
    print(f'{split_line}\n{result}\n{split_line}')
    print('Only convolutions and matrix products are counted (norms, activations and resizes are not); '
          'cite the figure with that convention.')
    return result


if __name__ == '__main__':
    main()
