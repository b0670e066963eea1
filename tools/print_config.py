"""Print the fully merged config (bases and --cfg-options applied): python tools/print_config.py CONFIG."""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmcv.cli import use_deprecated_options  # noqa: E402
from mmcv.config import Config, DictAction  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Print the whole config')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--graph', action='store_true', help='also build the model (random init) and print it')
    parser.add_argument('--options', nargs='+', action=DictAction,
                        help='--options is deprecated in favor of --cfg-options')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override some settings in the used config, the key-value pair in xxx=yyy format '
                        'will be merged into config file. If the value to be overwritten is a list, it should '
                        'be like key="[a,b]" or key=a,b; nested list/tuple values work too, e.g. '
                        'key="[(a,b),(c,d)]" (quotation marks needed, no white space).')
    args = parser.parse_args(argv)
    use_deprecated_options(args, parser)
    return args


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config, cfg_options=args.cfg_options)
    print(f'Config:\n{cfg.pretty_text}')
    if args.graph:
        from mmseg.apis.inference import init_segmentor
        print(f'Model graph:\n{init_segmentor(cfg, device="cpu")}')


if __name__ == '__main__':
    main()
