"""Test a checkpoint: python tools/test.py CONFIG CHECKPOINT --eval mDice (or bash test_dist.sh ...)."""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import torch  # noqa: E402

from mmcv.cli import add_dist_args, export_local_rank, start_dist, use_deprecated_options  # noqa: E402
from mmcv.config import Config, DictAction  # noqa: E402
from mmcv.dist import close_dist, get_dist_info  # noqa: E402
from mmcv.fileio import dump, mkdir_or_exist  # noqa: E402
from mmseg.apis.check_args import check_test_args  # noqa: E402
from mmseg.apis.test_set import use_test_set  # noqa: E402
from mmseg.apis.testing import run_test  # noqa: E402
from mmseg.utils.provenance import eval_record  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and eval) a segmentor checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where to save the evaluation metrics as JSON '
                        '(default: work_dirs/<config name>)')
    parser.add_argument('--aug-test', action='store_true', help='use flip and multi-scale augmentation')
    parser.add_argument('--partial-load', action='store_true', help='accept a checkpoint that holds only some '
                        'of the model\'s weights (the rest stay random); by default it must hold them all')
    parser.add_argument('--out', help='file for the predicted label maps (.pkl as in mmseg 0.x, .pickle or .npz): '
                        'whatever the suffix, a numpy .npz archive that loads without unpickling (read it with '
                        'mmcv.fileio.load, or np.load: arr_0, arr_1, ... in dataset order)')
    parser.add_argument('--format-only', action='store_true',
                        help='write the predictions as label PNGs (one per test image, named after it) into the '
                        'folder given by --eval-options imgfile_prefix=FOLDER, without evaluating')
    parser.add_argument('--eval', type=str, nargs='+', help='evaluation metrics: "mIoU", "mDice", "mFscore"')
    parser.add_argument('--show', action='store_true', help='(kept for mmseg compatibility) same as --show-dir '
                        'work_dir/show')
    parser.add_argument('--show-dir', help='directory where overlays (TP green, FP red, FN blue) are written')
    parser.add_argument('--gpu-collect', action='store_true', help='whether to use gpu to collect results.')
    parser.add_argument('--gpu-id', type=int, default=0, help='id of gpu to use (non-distributed testing)')
    parser.add_argument('--tmpdir', help='tmp directory used for collecting results from multiple workers, '
                        'available when gpu_collect is not specified')
    parser.add_argument('--options', nargs='+', action=DictAction, help='deprecated: use --cfg-options')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override some settings in the used config, the key-value pair in xxx=yyy format '
                        'will be merged into config file.')
    parser.add_argument('--eval-options', nargs='+', action=DictAction,
                        help='options of the metrics, checked before the test runs: beta=B weights recall B times '
                        'as much as precision in mFscore (F_beta, default 1); unknown options are errors')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher')
    parser.add_argument('--opacity', type=float, default=0.5,
                        help='opacity of painted segmentation map. In (0, 1] range.')
    parser.add_argument('--test-set', help='score on the data.test of this dataset config instead (e.g. '
                        'configs/_base_/datasets/stare.py), keeping the model of CONFIG')
    add_dist_args(parser)
    args = parser.parse_args(argv)
    export_local_rank(args)
    use_deprecated_options(args)
    if not 0 < args.opacity <= 1:
        parser.error(f'--opacity must be in (0, 1], got {args.opacity}')
    return args


def main(argv=None):
    args = parse_args(argv)
    if not (args.out or args.eval or args.format_only or args.show or args.show_dir):
        sys.exit('Please specify at least one operation (save/eval/format/show the results) with the argument '
                 '"--out", "--eval", "--format-only", "--show" or "--show-dir"')
    if args.eval and args.format_only:
        sys.exit('--eval and --format_only cannot be both specified')
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle', '.npz')):
        sys.exit(f'--out {args.out}: the results file must end in .pkl, .pickle or .npz')
    if not osp.isfile(args.checkpoint):
        sys.exit(f'checkpoint not found: {args.checkpoint}')
    try:
        check_test_args(args)  # fail now, not after the inference pass
    except ValueError as e:
        sys.exit(str(e))

    cfg = Config.fromfile(args.config, cfg_options=args.cfg_options)
    if args.test_set:
        use_test_set(cfg, args.test_set, args.cfg_options)
    cfg.gpu_ids = [args.gpu_id]
    distributed = start_dist(args, cfg)
    rank, _ = get_dist_info()

    work_dir = args.work_dir or osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    show_dir = args.show_dir or (osp.join(work_dir, 'show') if args.show else None)
    if rank == 0:
        mkdir_or_exist(osp.abspath(work_dir))
        if show_dir:
            mkdir_or_exist(osp.abspath(show_dir))
    if distributed:
        torch.distributed.barrier()
    timestamp = time.strftime('%Y%m%d_%H%M%S', time.localtime())

    eval_options = None if args.format_only else args.eval_options
    format_dir = args.eval_options['imgfile_prefix'] if args.format_only else None
    outputs, metrics, per_image = run_test(cfg, args.checkpoint, distributed=distributed, aug_test=args.aug_test,
                                           eval_metrics=args.eval, eval_options=eval_options,
                                           keep_raw=bool(args.out), show_dir=show_dir, opacity=args.opacity,
                                           tmpdir=args.tmpdir, gpu_collect=args.gpu_collect,
                                           partial_load=args.partial_load, format_dir=format_dir)
    if rank != 0:
        return
    if args.out:
        print(f'\nwriting results to {args.out}')
        dump(outputs, args.out)
    if args.format_only:
        print(f'label maps written to {args.eval_options["imgfile_prefix"]}')
    if metrics is not None:
        json_file = osp.join(work_dir, f'eval_single_scale_{timestamp}.json')
        if args.aug_test:
            json_file = osp.join(work_dir, f'eval_multi_scale_{timestamp}.json')
        record = eval_record(cfg, args.config, args.checkpoint, work_dir, test_set=args.test_set,
                             cfg_options=args.cfg_options)  # what was scored, by what, where (provenance)
        if args.eval_options:
            record['eval_options'] = dict(args.eval_options)
        dump(dict(record, metric=metrics, per_image=per_image), json_file)
        print(f'metrics written to {json_file}')
    if show_dir:
        print(f'overlays written to {show_dir}')


if __name__ == '__main__':
    main()
    close_dist()  # after main's models are gone: no rank aborts at exit
