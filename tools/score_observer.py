"""Score the second human observer against the first on a config's test split (the reference for a model).

    python tools/score_observer.py configs/unet++/unet++_r34_8k_stare_cpu.py --out observer.json
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmcv.config import Config, DictAction  # noqa: E402
from mmcv.fileio import dump  # noqa: E402
from mmseg.apis.observer import score_second_observer  # noqa: E402
from mmseg.apis.test_set import use_test_set  # noqa: E402
from mmseg.utils.provenance import provenance_record  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config whose data.test is scored')
    parser.add_argument('--test-set', help="a dataset config file whose data.test replaces the config's")
    parser.add_argument('--out', help='write the figures to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config keys (a.b=c)')
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config, cfg_options=args.cfg_options)
    if args.test_set:
        use_test_set(cfg, args.test_set, args.cfg_options)
    try:
        figures = score_second_observer(cfg.data.test)
    except (ValueError, FileNotFoundError) as e:
        sys.exit(f'error: {e}')
    if args.out:
        dump(dict(figures, provenance=provenance_record(cfg, config_file=args.config, test_set=args.test_set,
                                                         cfg_options=args.cfg_options)), args.out)


if __name__ == '__main__':
    main()
