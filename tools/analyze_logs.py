"""Plot training curves or summarise iteration times from JSON logs (work_dir/*.log.json).

    python tools/analyze_logs.py plot_curve a.log.json [b.log.json ...] --keys loss mDice --out curve.png
    python tools/analyze_logs.py cal_train_time a.log.json
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmseg.utils.log_analysis import load_json_log, plot_curves, train_time_stats  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Analyze JSON training logs')
    sub = parser.add_subparsers(dest='task', required=True)
    plot = sub.add_parser('plot_curve', help='plot curves of some keys (one subplot per key)')
    plot.add_argument('json_logs', nargs='+', help='path(s) of the *.log.json files')
    plot.add_argument('--keys', nargs='+', default=['mDice'],
                      help='keys to plot, e.g. loss lr mDice mIoU aAcc (default: mDice)')
    plot.add_argument('--title', help='title of the figure')
    plot.add_argument('--legend', nargs='+', help='one name per log (default: the file names)')
    plot.add_argument('--out', required=True, help='image file to write (format from its extension)')
    train_time = sub.add_parser('cal_train_time', help='average, slowest and fastest iteration time')
    train_time.add_argument('json_logs', nargs='+', help='path(s) of the *.log.json files')
    train_time.add_argument('--include-outliers', action='store_true',
                            help='keep the first logged interval (start-up) in the statistics')
    return parser.parse_args(argv)


def cal_train_time(args) -> None:
    for path in args.json_logs:
        stats = train_time_stats(load_json_log(path), args.include_outliers)
        print(f'-----Analyze train time of {path}-----')
        print(f'slowest interval ends at iter {stats["slowest_iter"]}, {stats["slowest_time"]:.4f} s/iter')
        print(f'fastest interval ends at iter {stats["fastest_iter"]}, {stats["fastest_time"]:.4f} s/iter')
        print(f'time std over {stats["num_records"]} logged intervals is {stats["std_iter_time"]:.4f}')
        print(f'average iter time: {stats["avg_iter_time"]:.4f} s/iter')


def main(argv=None):
    args = parse_args(argv)
    try:
        if args.task == 'plot_curve':
            plot_curves(args.json_logs, args.keys, args.out, legend=args.legend, title=args.title)
            print(f'save curve to: {args.out}')
        else:
            cal_train_time(args)
    except (FileNotFoundError, KeyError, ValueError) as err:
        sys.exit(f'error: {err.args[0] if isinstance(err, KeyError) else err}')


if __name__ == '__main__':
    main()
