"""Evaluation during training: test on a validation loader, log the metrics, keep the best checkpoint."""
import os
import os.path as osp
import re
from typing import Callable, Optional, Sequence

import torch.distributed as dist
from torch.nn.modules.batchnorm import _BatchNorm

from mmcv.checkpoint import get_rng_state, set_rng_state
from mmcv.dist import is_distributed

from ..builder import HOOKS
from ..test_loops import multi_gpu_test, single_gpu_test
from .hook import Hook

GREATER_KEYS = ('acc', 'top', 'ar@', 'auc', 'precision', 'recall', 'map', 'dice', 'iou', 'fscore', 'f1')
LESS_KEYS = ('loss',)


@HOOKS.register_module()
class EvalHook(Hook):
    """Evaluate every ``interval`` iterations (from ``start``) and after the last one.

    ``results = test_fn(runner.model, dataloader)`` then ``dataloader.dataset.evaluate(results,
    logger=runner.logger, **eval_kwargs)``; the metrics go to ``runner.log_buffer.output`` and the
    loggers (stage ``after_val_epoch``). Evaluation leaves the RNG states as it found them, so
    training continues exactly as without it.

    Args:
        dataloader: the validation loader.
        start: first iteration to evaluate at (then every ``interval``); None: multiples of interval.
        interval: evaluation period in iterations.
        by_epoch: must be False.
        save_best: metric whose best value keeps a checkpoint ``best_<metric>_iter_N.pth`` (the
            previous best file is deleted); 'auto' takes the first metric.
        rule: 'greater' or 'less'; inferred from the metric name when None (mDice, mIoU, aAcc, AUC...:
            greater; loss: less).
        test_fn: the test loop; default runs ``model(return_loss=False, **batch)``.
        greater_keys, less_keys: substrings (case-insensitive) that decide the rule, replacing the defaults.
        eval_kwargs: passed to ``dataset.evaluate`` (e.g. ``metric='mDice'``).
    """

    def __init__(self, dataloader, start: Optional[int] = None, interval: int = 1, by_epoch: bool = False,
                 save_best: Optional[str] = None, rule: Optional[str] = None, test_fn: Optional[Callable] = None,
                 greater_keys: Optional[Sequence[str]] = None, less_keys: Optional[Sequence[str]] = None,
                 **eval_kwargs):
        if by_epoch:
            raise ValueError(f'{type(self).__name__}: only by_epoch=False (evaluate every N iterations) is supported')
        if interval <= 0:
            raise ValueError(f'interval must be positive, got {interval}')
        if start is not None and start < 0:
            raise ValueError(f'start must be None or >= 0, got {start}')
        if rule not in (None, 'greater', 'less'):
            raise ValueError(f"rule must be None, 'greater' or 'less', got {rule!r}")
        if not hasattr(getattr(dataloader, 'dataset', None), 'evaluate'):
            raise TypeError(f'{type(self).__name__} needs a loader whose dataset has evaluate(), '
                            f'got {type(dataloader).__name__}')
        self.dataloader = dataloader
        self.start = start
        self.interval = interval
        self.save_best = save_best
        self.test_fn = test_fn or self.default_test_fn
        self.greater_keys = tuple(k.lower() for k in (GREATER_KEYS if greater_keys is None else greater_keys))
        self.less_keys = tuple(k.lower() for k in (LESS_KEYS if less_keys is None else less_keys))
        self.eval_kwargs = eval_kwargs
        self.rule = rule
        if save_best not in (None, 'auto') and rule is None:
            self.rule = self._infer_rule(save_best)
        self.best_ckpt_path: Optional[str] = None
        self._check_save_best()

    def _check_save_best(self) -> None:
        """Refuse, before training, a ``save_best`` the validation set will not report (when its dataset
        can tell its ``metric_keys``), e.g. 'mDice' with several validation sets, which report '0_mDice'..."""
        dataset = self.dataloader.dataset
        keys_of = getattr(dataset, 'metric_keys', None)
        if self.save_best in (None, 'auto') or not callable(keys_of):
            return
        keys = list(keys_of(**self.eval_kwargs))
        if self.save_best in keys:
            return
        similar = [k for k in keys if k.endswith(f'_{self.save_best}')]
        hint = (f"; with several validation sets each metric carries the set's position: use one of "
                f"{', '.join(map(repr, similar))}" if similar else '')
        if self.save_best.startswith('fov.') and not any(k.startswith('fov.') for k in keys):
            hint = '; fov.* metrics need FOV masks (fov_dir) in the validation set'
        raise ValueError(f'evaluation.save_best={self.save_best!r} is not among the metrics that the validation '
                         f'set ({type(dataset).__name__}) reports{hint}. It reports: {", ".join(keys)}')

    default_test_fn = staticmethod(single_gpu_test)

    def _infer_rule(self, key: str) -> str:
        lowered = key.lower()
        for keys, rule in ((self.greater_keys, 'greater'), (self.less_keys, 'less')):
            if lowered in keys:
                return rule
        for keys, rule in ((self.greater_keys, 'greater'), (self.less_keys, 'less')):
            if any(k in lowered for k in keys):
                return rule
        raise ValueError(f'cannot tell whether a greater or a smaller {key!r} is better; pass rule="greater" '
                         'or rule="less" to the evaluation hook')

    def before_run(self, runner) -> None:
        self.best_ckpt_path = runner.meta.get('hook_msgs', {}).get('best_ckpt')

    def _should_evaluate(self, runner) -> bool:
        done = runner.iter + 1
        if self.start is not None and done < self.start:
            return False
        if self.is_last_iter(runner):
            return True
        return (done - (self.start or 0)) % self.interval == 0

    def after_train_iter(self, runner) -> None:
        if self._should_evaluate(runner):
            self.evaluate(runner)

    def test(self, runner) -> Optional[list]:
        """Run the test loop; the results (None on ranks that do not score)."""
        return self.test_fn(runner.model, self.dataloader)

    def evaluate(self, runner) -> Optional[dict]:
        """Test, score, log and (with save_best) keep the best checkpoint; the metrics on rank 0."""
        runner.call_hook('before_val_epoch')
        rng = get_rng_state()
        try:
            results = self.test(runner)
        finally:
            set_rng_state(rng)
        metrics = None
        if results is not None:
            metrics = self.dataloader.dataset.evaluate(results, logger=runner.logger, **self.eval_kwargs)
            runner.log_buffer.clear_output()
            runner.log_buffer.output.update(metrics)
            runner.log_buffer.output['eval_iter_num'] = len(self.dataloader)
            runner.log_buffer.ready = True
        runner.call_hook('after_val_epoch')
        if metrics and self.save_best is not None:
            self._keep_best(runner, metrics)
        return metrics

    def _keep_best(self, runner, metrics: dict) -> None:
        key = next(iter(metrics)) if self.save_best == 'auto' else self.save_best
        if key not in metrics:
            raise KeyError(f'save_best={key!r} is not among the evaluation results: {", ".join(map(str, metrics))}')
        rule = self.rule or self._infer_rule(key)
        score = float(metrics[key])
        hook_msgs = runner.meta.setdefault('hook_msgs', {})
        best = hook_msgs.get('best_score')
        if best is not None and not (score > best if rule == 'greater' else score < best):
            return
        hook_msgs['best_score'] = score
        safe_key = re.sub(r'[^\w.-]', '_', key)
        path = runner.save_checkpoint(runner.work_dir, filename_tmpl=f'best_{safe_key}_iter_{{}}.pth',
                                      create_symlink=False)
        if self.best_ckpt_path and self.best_ckpt_path != path and osp.isfile(self.best_ckpt_path):
            os.remove(self.best_ckpt_path)
        self.best_ckpt_path = hook_msgs['best_ckpt'] = path
        runner.logger.info(f'Now best checkpoint is saved as {osp.basename(path)}. '
                           f'Best {key} is {score:.4f} at {runner.iter + 1} iter.')


@HOOKS.register_module()
class DistEvalHook(EvalHook):
    """Distributed evaluation: every rank tests its share, rank 0 scores, logs and keeps the best.

    Args:
        tmpdir: shared folder for collecting results (default ``work_dir/.eval_hook``).
        gpu_collect: collect through the process group instead of files.
        broadcast_bn_buffer: copy rank 0's BatchNorm statistics to all ranks before testing.
        other arguments: as for :class:`EvalHook`; ``test_fn`` is called as
            ``test_fn(model, dataloader, tmpdir=..., gpu_collect=...)``.
    """

    default_test_fn = staticmethod(multi_gpu_test)

    def __init__(self, dataloader, *args, tmpdir: Optional[str] = None, gpu_collect: bool = False,
                 broadcast_bn_buffer: bool = True, **kwargs):
        super().__init__(dataloader, *args, **kwargs)
        self.tmpdir = tmpdir
        self.gpu_collect = gpu_collect
        self.broadcast_bn_buffer = broadcast_bn_buffer

    def test(self, runner) -> Optional[list]:
        if self.broadcast_bn_buffer and is_distributed():
            for module in runner.model.modules():
                if isinstance(module, _BatchNorm) and module.track_running_stats:
                    dist.broadcast(module.running_mean, 0)
                    dist.broadcast(module.running_var, 0)
        tmpdir = self.tmpdir or (osp.join(runner.work_dir, '.eval_hook') if runner.work_dir else None)
        return self.test_fn(runner.model, self.dataloader, tmpdir=tmpdir, gpu_collect=self.gpu_collect)
