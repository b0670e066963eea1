"""Periodic checkpoints: iter_N.pth every ``interval`` iterations and at the end, older ones pruned."""
import os
import os.path as osp
import re
from typing import Optional

from mmcv.checkpoint import remove_stale_temporaries

from ..builder import HOOKS
from .hook import Hook


@HOOKS.register_module()
class CheckpointHook(Hook):
    """Save a checkpoint every ``interval`` iterations (rank 0 writes) and after the last one.

    Args:
        interval: save period in iterations; <= 0 saves only at the end (with ``save_last``).
        by_epoch: must be False.
        save_optimizer: include the optimizer state (needed to resume).
        out_dir: folder of the files; default the runner's work_dir.
        max_keep_ckpts: keep only this many newest files of the pattern (<= 0 keeps all); the file just
            written (checked finite) is always one of them.
        save_last: also save after the last iteration.
        create_symlink: point latest.pth at the newest file.
        filename_tmpl: file name pattern, '{}' is the iteration.
        meta: extra meta data stored in every file (e.g. the config text, class names).
    """

    def __init__(self, interval: int = -1, by_epoch: bool = False, save_optimizer: bool = True,
                 out_dir: Optional[str] = None, max_keep_ckpts: int = -1, save_last: bool = True,
                 create_symlink: bool = True, filename_tmpl: str = 'iter_{}.pth', meta: Optional[dict] = None):
        if by_epoch:
            raise ValueError('CheckpointHook: only by_epoch=False (iteration-based saving) is supported')
        if filename_tmpl.count('{}') != 1:
            raise ValueError(f"filename_tmpl needs exactly one '{{}}' for the iteration, got {filename_tmpl!r}")
        self.interval = interval
        self.save_optimizer = save_optimizer
        self.out_dir = out_dir
        self.max_keep_ckpts = max_keep_ckpts
        self.save_last = save_last
        self.create_symlink = create_symlink
        self.filename_tmpl = filename_tmpl
        self.meta = meta
        prefix, suffix = filename_tmpl.split('{}')
        self._pattern = re.compile(re.escape(prefix) + r'(\d+)' + re.escape(suffix))

    def before_run(self, runner) -> None:
        self.out_dir = self.out_dir or runner.work_dir
        if self.out_dir is None:
            raise ValueError('CheckpointHook needs out_dir or a runner with a work_dir')
        if runner.rank == 0 and osp.abspath(self.out_dir) != runner.work_dir:
            remove_stale_temporaries(self.out_dir, runner.logger)  # the runner cleans its work_dir

    def after_train_iter(self, runner) -> None:
        if not (self.every_n_iters(runner, self.interval) or (self.save_last and self.is_last_iter(runner))):
            return
        runner.loss_guard.check(runner.iter + 1)
        if runner.rank != 0:
            return
        runner.logger.info(f'Saving checkpoint at {runner.iter + 1} iterations')
        path = runner.save_checkpoint(self.out_dir, filename_tmpl=self.filename_tmpl, meta=self.meta,
                                      save_optimizer=self.save_optimizer, create_symlink=self.create_symlink)
        runner.meta.setdefault('hook_msgs', {})['last_ckpt'] = path
        if self.max_keep_ckpts > 0:
            self._remove_old(osp.basename(path))

    def _remove_old(self, just_written: str) -> None:
        """Delete files of the pattern in out_dir but ``just_written`` and the newest others (by iteration),
        ``max_keep_ckpts`` files in all: files of an older run with higher numbers never push out the new one."""
        found = []
        for name in os.listdir(self.out_dir):
            match = self._pattern.fullmatch(name)
            if match and name != just_written:
                found.append((int(match.group(1)), name))
        keep = self.max_keep_ckpts - 1
        for _, name in sorted(found)[:len(found) - keep]:
            os.remove(osp.join(self.out_dir, name))
