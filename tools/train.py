"""Train a segmentor: python tools/train.py CONFIG [options] (or bash train_dist.sh CONFIG GPUS)."""
import argparse
import atexit
import copy
import glob
import os.path as osp
import sys
import time
import warnings

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import torch  # noqa: E402

from mmcv.cli import add_dist_args, export_local_rank, start_dist, use_deprecated_options  # noqa: E402
from mmcv.config import Config, DictAction  # noqa: E402
from mmcv.dist import close_dist, get_dist_info  # noqa: E402
from mmcv.fileio import NoSpaceError, is_disk_full, mkdir_or_exist  # noqa: E402
from mmcv.runner.work_dir_lock import WorkDirLock, WorkDirLocked  # noqa: E402
from mmseg import __version__  # noqa: E402
from mmseg.apis import init_random_seed, set_random_seed, train_segmentor  # noqa: E402
from mmseg.apis.config_checks import check_schedule  # noqa: E402
from mmseg.datasets import build_dataset  # noqa: E402
from mmseg.models import build_segmentor  # noqa: E402
from mmseg.utils.collect_env import env_text  # noqa: E402
from mmseg.utils.logger import get_root_logger  # noqa: E402
from mmseg.utils.provenance import portable_text, provenance_record  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models (default: work_dirs/<config name>)')
    parser.add_argument('--load-from', help='the checkpoint file to load weights from')
    parser.add_argument('--partial-load', action='store_true', help='let --load-from (or load_from) hold only '
                        'some of the model\'s weights (sets load_from_partial=True); by default it must hold them all')
    parser.add_argument('--resume-from', help='the checkpoint file to resume from: weights, optimizer state and '
                        'settings (lr, momentum... win over the config, with a warning), iteration, RNG and '
                        'loader positions continue exactly; use --load-from to start afresh from its weights')
    parser.add_argument('--auto-resume', action='store_true',
                        help='resume from the newest checkpoint in the work dir, if there is one')
    parser.add_argument('--no-validate', action='store_true',
                        help='whether not to evaluate the checkpoint during training')
    group_gpus = parser.add_mutually_exclusive_group()
    group_gpus.add_argument('--gpus', type=int,
                            help='(deprecated, please use --gpu-id) number of gpus to use (only applicable '
                            'to non-distributed training)')
    group_gpus.add_argument('--gpu-ids', type=int, nargs='+',
                            help='(deprecated, please use --gpu-id) ids of gpus to use (only applicable to '
                            'non-distributed training)')
    group_gpus.add_argument('--gpu-id', type=int, default=0,
                            help='id of gpu to use (only applicable to non-distributed training)')
    parser.add_argument('--amp', choices=['auto', 'bf16', 'fp16', 'off'], default=None,
                        help="mixed precision, replacing optimizer_config's type (its grad_clip is kept): 'auto' "
                        'picks bf16 autocast where this machine runs it natively and faster (measured on the first '
                        "batch, logged), else float32; 'bf16'; 'fp16' (CUDA, loss scaling); 'off' float32")
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument('--diff_seed', '--diff-seed', action='store_true',
                        help='whether or not set different seeds for different ranks')
    parser.add_argument('--deterministic', action='store_true',
                        help='whether to set deterministic options for CUDNN backend.')
    parser.add_argument('--options', nargs='+', action=DictAction,
                        help="--options is deprecated in favor of --cfg-options' and it will not be "
                        'supported in version v0.22.0. Override some settings in the used config, the key-value '
                        'pair in xxx=yyy format will be merged into config file.')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override some settings in the used config, the key-value pair in xxx=yyy format '
                        'will be merged into config file. If the value to be overwritten is a list, it should '
                        'be like key="[a,b]" or key=a,b It also allows nested list/tuple values, e.g. '
                        'key="[(a,b),(c,d)]" Note that the quotation marks are necessary and that no white '
                        'space is allowed.')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher')
    add_dist_args(parser)
    args = parser.parse_args(argv)
    export_local_rank(args)
    use_deprecated_options(args, removed_in='v0.22.0')
    return args


def find_latest_checkpoint(work_dir: str):
    """The newest checkpoint in ``work_dir``: latest.pth if present, else the iter_N.pth with the largest N."""
    latest = osp.join(work_dir, 'latest.pth')
    if osp.exists(latest):
        return latest
    ckpts = glob.glob(osp.join(work_dir, 'iter_*.pth'))
    numbered = [(int(osp.basename(p)[5:-4]), p) for p in ckpts if osp.basename(p)[5:-4].isdigit()]
    return max(numbered)[1] if numbered else None


def setup_cfg(args) -> Config:
    """Load the config and apply the command line to it."""
    cfg = Config.fromfile(args.config, cfg_options=args.cfg_options)
    if cfg.get('cudnn_benchmark', False):
        torch.backends.cudnn.benchmark = True
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.load_from is not None:
        cfg.load_from = args.load_from
    if args.partial_load:
        if not cfg.get('load_from'):
            raise ValueError('--partial-load applies to --load-from (or load_from in the config); neither is set')
        cfg.load_from_partial = True
    if args.resume_from is not None:
        cfg.resume_from = args.resume_from
    if args.gpus is not None:
        cfg.gpu_ids = range(1)
        warnings.warn('`--gpus` is deprecated because we only support single GPU mode in non-distributed '
                      'training. Use `gpus=1` now.')
    if args.gpu_ids is not None:
        cfg.gpu_ids = args.gpu_ids[0:1]
        warnings.warn('`--gpu-ids` is deprecated, please use `--gpu-id`. Because we only support single GPU '
                      'mode in non-distributed training. Use the first GPU in `gpu_ids` now.')
    if args.gpus is None and args.gpu_ids is None:
        cfg.gpu_ids = [args.gpu_id]
    cfg.auto_resume = args.auto_resume
    if args.amp is not None:
        grad_clip = (cfg.get('optimizer_config') or {}).get('grad_clip')
        cfg.optimizer_config = dict(grad_clip=grad_clip) if args.amp == 'off' else dict(
            type='AmpOptimizerHook', dtype=args.amp, grad_clip=grad_clip)
    check_schedule(cfg)  # before the work dir is made: a bad value names its key, not a runner TypeError
    return cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = setup_cfg(args)

    distributed = start_dist(args, cfg)
    if distributed:
        _, world_size = get_dist_info()
        cfg.gpu_ids = range(world_size)

    mkdir_or_exist(osp.abspath(cfg.work_dir))
    rank, _ = get_dist_info()
    lock = WorkDirLock(cfg.work_dir)  # one run per work dir; rank 0 holds it
    if rank == 0:
        lock.acquire()
        atexit.register(lock.release)
    if cfg.auto_resume and cfg.get('resume_from') is None:
        cfg.resume_from = find_latest_checkpoint(cfg.work_dir)
    if rank == 0:
        cfg.dump(osp.join(cfg.work_dir, osp.basename(args.config)))
    timestamp = time.strftime('%Y%m%d_%H%M%S', time.localtime())
    log_file = osp.join(cfg.work_dir, f'{timestamp}.log')
    logger = get_root_logger(log_file=log_file, log_level=cfg.log_level)

    env_info = env_text()
    dash_line = '-' * 60 + '\n'
    logger.info('Environment info:\n' + dash_line + env_info + '\n' + dash_line)
    logger.info(f'Distributed training: {distributed}')
    if cfg.get('resume_from'):
        logger.info(f'Resuming from {cfg.resume_from}')

    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    seed = init_random_seed(args.seed, device=device)
    seed = seed + rank if args.diff_seed else seed
    logger.info(f'Set random seed to {seed}, deterministic: {args.deterministic}')
    set_random_seed(seed, deterministic=args.deterministic)
    cfg.seed = seed
    config_text = portable_text(cfg.pretty_text, cfg.work_dir)  # once: the log, run meta, checkpoints' meta
    logger.info(f'Config:\n{config_text}')
    meta = dict(env_info=env_info, seed=seed, exp_name=osp.basename(args.config), config=config_text,
                provenance=provenance_record(cfg, config_file=args.config, cfg_options=args.cfg_options,
                                             work_dir=cfg.work_dir,
                                             dumped_config=osp.join(cfg.work_dir, osp.basename(args.config))))

    model = build_segmentor(cfg.model, train_cfg=cfg.get('train_cfg'), test_cfg=cfg.get('test_cfg'))
    model.init_weights()
    logger.info(f'Model has {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters')

    datasets = [build_dataset(cfg.data.train)]
    if len(cfg.workflow) == 2:
        val_dataset = copy.deepcopy(cfg.data.val)
        val_dataset.pipeline = cfg.data.train.pipeline
        datasets.append(build_dataset(val_dataset))
    if cfg.checkpoint_config is not None:
        cfg.checkpoint_config.meta = dict(mmseg_version=__version__, config=config_text,
                                          CLASSES=list(datasets[0].CLASSES), PALETTE=datasets[0].PALETTE)
    model.CLASSES = datasets[0].CLASSES
    meta.update(cfg.checkpoint_config.get('meta', {}) if cfg.checkpoint_config else {})
    try:
        train_segmentor(model, datasets, cfg, distributed=distributed, validate=not args.no_validate,
                        timestamp=timestamp, meta=meta)
    finally:
        lock.release()


def run_cli(argv=None) -> None:
    """main() for the command line: a full disk or a work dir in use is one line (exit 1), not a traceback."""
    try:
        main(argv)
    except WorkDirLocked as e:
        print(f'error: {e}', file=sys.stderr)
        sys.exit(1)
    except OSError as e:
        if not is_disk_full(e):
            raise
        error = e if isinstance(e, NoSpaceError) else NoSpaceError(e.filename or '(unknown file)')
        print(f'error: {error}', file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    run_cli()
    close_dist()  # after main's models are gone: no rank aborts at exit
