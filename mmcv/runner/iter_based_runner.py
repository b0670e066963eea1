"""The training loop: iterations of ``model.train_step`` with hooks around each one."""
import contextlib
import copy
import os
import os.path as osp
import shutil
import time
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch

from mmcv.checkpoint import load_checkpoint, remove_stale_temporaries, save_checkpoint, set_rng_state
from mmcv.dist import get_dist_info
from mmcv.fileio import NoSpaceError, atomic_write, mkdir_or_exist
from mmcv.logging import get_logger
from mmcv.registry import build_from_cfg

from .builder import HOOKS, RUNNERS
from .hooks import Hook
from .iter_loader import IterLoader
from .log_buffer import LogBuffer
from .loss_guard import LossGuard
from .priority import Priority, get_priority
from .resume_checks import (check_optimizer_class, check_param_groups, describe_differences, optimizer_type,
                            setting_differences)

LATEST = 'latest.pth'


def _copy_cfg(cfg: Optional[dict]) -> Optional[dict]:
    return None if cfg is None else copy.deepcopy(dict(cfg))


def _policy_to_type(cfg: dict, suffix: str) -> dict:
    """A copy of a schedule config with ``policy='poly'`` turned into ``type='PolyLrUpdaterHook'``."""
    cfg = _copy_cfg(cfg)
    if 'type' not in cfg:
        if 'policy' not in cfg:
            raise KeyError(f"a schedule config needs 'policy' (e.g. 'poly') or 'type', got keys {sorted(cfg)}")
        policy = cfg.pop('policy')
        cfg['type'] = (policy.title() if policy == policy.lower() else policy) + suffix
    return cfg


def _point_latest_to(out_dir: str, filename: str) -> None:
    """Make out_dir/latest.pth a symlink to ``filename`` (a copy where links fail), replaced atomically."""
    latest = osp.join(out_dir, LATEST)
    tmp = osp.join(out_dir, f'.{LATEST}.{os.getpid()}.tmp')
    try:
        if osp.lexists(tmp):
            os.remove(tmp)
        os.symlink(filename, tmp)
        os.replace(tmp, latest)
    except OSError:
        if osp.lexists(tmp):
            os.remove(tmp)
        with open(osp.join(out_dir, filename), 'rb') as src, atomic_write(latest, 'wb') as dst:
            shutil.copyfileobj(src, dst)


@RUNNERS.register_module()
class IterBasedRunner:
    """Train ``model`` for ``max_iters`` iterations over endless passes of the data loaders.

    Each training iteration takes the next batch, runs ``model.train_step(batch, optimizer)``
    (inside ``torch.autocast`` when ``autocast_dtype`` is set, e.g. by AmpOptimizerHook), records its
    ``log_vars`` and calls the hooks; the optimizer step itself is a hook (OptimizerHook).

    Args:
        model: a model (usually wrapped by MMDataParallel/MMDistributedDataParallel) with ``train_step``.
        optimizer: a torch optimizer (or a dict of them).
        work_dir: folder of checkpoints and logs (created).
        logger: where messages go; default the 'mmcv' logger.
        meta: information saved in checkpoints and the JSON log (environment, seed, config...).
        max_iters: total number of training iterations.
    """

    def __init__(self, model: torch.nn.Module, optimizer=None, work_dir: Optional[str] = None, logger=None,
                 meta: Optional[dict] = None, max_iters: Optional[int] = None):
        if not callable(getattr(model, 'train_step', None)):
            raise TypeError(f'{type(model).__name__} has no train_step(data_batch, optimizer); '
                            'IterBasedRunner needs a model that defines it')
        if meta is not None and not isinstance(meta, dict):
            raise TypeError(f'meta must be a dict or None, got {type(meta).__name__}')
        self.model = model
        self.optimizer = optimizer
        self.work_dir = None if work_dir is None else osp.abspath(work_dir)
        if self.work_dir is not None:
            mkdir_or_exist(self.work_dir)
        self.logger = logger if logger is not None else get_logger('mmcv')
        self.meta = {} if meta is None else meta
        self.rank, self.world_size = get_dist_info()
        self.timestamp = time.strftime('%Y%m%d_%H%M%S', time.localtime())
        self.mode: Optional[str] = None
        self.log_buffer = LogBuffer()
        self.loss_guard = LossGuard()
        self.outputs: Dict[str, Any] = {}
        self.data_loader: Optional[IterLoader] = None
        self.data_batch: Any = None
        self.autocast_dtype: Optional[torch.dtype] = None
        self.grad_scaler = None
        self._hooks: List[Hook] = []
        self._iter = 0
        self._inner_iter = 0
        self._epoch = 0
        self._max_iters = max_iters
        self._step_done = False
        self._iter_loaders: List[IterLoader] = []
        self._resumed: Dict[str, Any] = {}

    @property
    def hooks(self) -> List[Hook]:
        return self._hooks

    @property
    def iter(self) -> int:
        """Training iterations completed (in a hook's after_train_iter: the index of the current one)."""
        return self._iter

    @property
    def inner_iter(self) -> int:
        return self._inner_iter

    @property
    def epoch(self) -> int:
        """Completed passes over the training loader."""
        return self._epoch

    @property
    def max_iters(self) -> Optional[int]:
        return self._max_iters

    @property
    def device(self) -> torch.device:
        """The device of the model's first parameter (CPU for a model without parameters)."""
        param = next(self.model.parameters(), None)
        return param.device if param is not None else torch.device('cpu')

    # hooks

    def register_hook(self, hook: Hook, priority: Union[int, str, Priority] = 'NORMAL') -> None:
        """Add ``hook``; hooks run in increasing priority value, equal ones in registration order."""
        if not isinstance(hook, Hook):
            raise TypeError(f'a hook must be an instance of mmcv.runner.Hook, got {type(hook).__name__}')
        if hasattr(hook, 'priority'):
            raise ValueError(f'{type(hook).__name__} is already registered ("priority" is reserved for hooks)')
        hook.priority = get_priority(priority)
        index = len(self._hooks)
        while index > 0 and self._hooks[index - 1].priority > hook.priority:
            index -= 1
        self._hooks.insert(index, hook)

    def register_hook_from_cfg(self, hook_cfg: dict) -> None:
        """Build a hook from ``dict(type=..., priority='NORMAL', ...)`` and register it."""
        cfg = _copy_cfg(hook_cfg)
        priority = cfg.pop('priority', 'NORMAL')
        self.register_hook(build_from_cfg(cfg, HOOKS), priority=priority)

    def call_hook(self, stage: str) -> None:
        for hook in self._hooks:
            getattr(hook, stage)(self)

    def get_hook_info(self) -> str:
        names = {p.value: p.name for p in Priority}
        return '\n'.join(f'({names.get(h.priority, h.priority):<12}) {type(h).__name__}' for h in self._hooks)

    def register_training_hooks(self, lr_config: Optional[dict], optimizer_config: Optional[dict] = None,
                                checkpoint_config: Optional[dict] = None, log_config: Optional[dict] = None,
                                momentum_config: Optional[dict] = None,
                                timer_config: Optional[dict] = dict(type='IterTimerHook'),  # noqa: B006
                                custom_hooks_config: Optional[Sequence[dict]] = None) -> None:
        """Register the standard hooks from mmseg-style config dicts (None skips one).

        Priorities: lr VERY_HIGH, momentum HIGH, optimizer ABOVE_NORMAL, checkpoint NORMAL, timer LOW,
        loggers VERY_LOW, custom hooks their own 'priority' (default NORMAL).

        Examples: ``lr_config=dict(policy='poly', power=0.9, min_lr=1e-4, by_epoch=False)``,
        ``optimizer_config=dict(grad_clip=dict(max_norm=35, norm_type=2))`` or
        ``dict(type='AmpOptimizerHook', dtype='bf16')``, ``checkpoint_config=dict(by_epoch=False,
        interval=4000, max_keep_ckpts=3)``, ``log_config=dict(interval=50,
        hooks=[dict(type='TextLoggerHook', by_epoch=False)])``.
        """
        for cfg, suffix, priority in ((lr_config, 'LrUpdaterHook', 'VERY_HIGH'),
                                      (momentum_config, 'MomentumUpdaterHook', 'HIGH')):
            if cfg is not None:
                self.register_hook(build_from_cfg(_policy_to_type(cfg, suffix), HOOKS), priority)
        for cfg, default_type, priority in ((optimizer_config, 'OptimizerHook', 'ABOVE_NORMAL'),
                                            (checkpoint_config, 'CheckpointHook', 'NORMAL'),
                                            (timer_config, 'IterTimerHook', 'LOW')):
            if cfg is not None:
                self.register_hook(build_from_cfg(cfg, HOOKS, dict(type=default_type)), priority)
        if log_config is not None:
            for info in log_config.get('hooks', []):
                hook = build_from_cfg(info, HOOKS, dict(interval=log_config['interval']))
                self.register_hook(hook, 'VERY_LOW')
        for hook_cfg in custom_hooks_config or []:
            self.register_hook_from_cfg(hook_cfg)

    # the loop

    def _autocast(self):
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        # No weight-cast cache: each step casts its weights once anyway, and CUDA-graph capture forbids it.
        return torch.autocast(self.device.type, dtype=self.autocast_dtype, cache_enabled=False)

    def _record(self, outputs: Any, method: str, prefix: str = '') -> None:
        if not isinstance(outputs, dict):
            raise TypeError(f'model.{method} must return a dict (loss, log_vars, num_samples), '
                            f'got {type(outputs).__name__}')
        if 'log_vars' in outputs:
            log_vars = outputs['log_vars']
            if prefix:
                log_vars = {prefix + key: value for key, value in log_vars.items()}
            self.log_buffer.update(log_vars, outputs.get('num_samples', 1))
        self.outputs = outputs

    def train(self, data_loader: IterLoader, **kwargs: Any) -> None:
        """One training iteration on the next batch of ``data_loader``."""
        if not self.model.training:
            self.model.train()
        if self.log_buffer.ready:
            self.log_buffer.clear_output()
        self.mode = 'train'
        self.data_loader = data_loader
        self.data_batch = next(data_loader)
        self._epoch = data_loader.epoch
        self.call_hook('before_train_iter')
        with self._autocast():
            outputs = self.model.train_step(self.data_batch, self.optimizer, **kwargs)
        self._record(outputs, 'train_step')
        self._step_done = True
        self.call_hook('after_train_iter')
        self._step_done = False
        self.data_batch = None
        self._inner_iter += 1
        self._iter += 1

    @torch.no_grad()
    def val(self, data_loader: IterLoader, **kwargs: Any) -> None:
        """One validation iteration (a 'val' workflow step); its log_vars are logged as 'val.<name>'."""
        if self.model.training:
            self.model.eval()
        self.mode = 'val'
        self.data_loader = data_loader
        self.data_batch = next(data_loader)
        self.call_hook('before_val_iter')
        with self._autocast():
            outputs = self.model.val_step(self.data_batch, **kwargs)
        self._record(outputs, 'val_step', prefix='val.')
        self.call_hook('after_val_iter')
        self.data_batch = None
        self._inner_iter += 1

    def run(self, data_loaders: List, workflow: Sequence[Tuple[str, int]] = (('train', 1),),
            max_iters: Optional[int] = None, **kwargs: Any) -> None:
        """Run ``workflow`` (e.g. ``[('train', 1)]``, one loader per entry) until ``max_iters``.

        kwargs are passed to ``train_step``/``val_step``.
        """
        if not isinstance(data_loaders, (list, tuple)) or len(data_loaders) != len(workflow):
            raise ValueError(f'run() needs one data loader per workflow entry: workflow {list(workflow)}, '
                             f'got {len(data_loaders) if isinstance(data_loaders, (list, tuple)) else data_loaders}')
        for mode, iters in workflow:
            if mode not in ('train', 'val') or not isinstance(iters, int) or iters <= 0:
                raise ValueError(f"workflow entries are ('train' or 'val', iterations > 0), got {(mode, iters)}")
        if max_iters is not None:
            self._max_iters = max_iters
        if self._max_iters is None:
            raise ValueError('max_iters is not set: give it to IterBasedRunner(...) or run(...)')
        if self._iter > self._max_iters:  # resumed past the end: exiting 0 having trained nothing would hide it
            raise ValueError(f'the resumed checkpoint is at iteration {self._iter}, beyond runner.max_iters='
                             f'{self._max_iters}: nothing to train; raise runner.max_iters or resume an earlier '
                             'checkpoint')
        if self._iter == self._max_iters and self._iter > 0:
            self.logger.warning(f'the resumed checkpoint is at iteration {self._iter} = runner.max_iters: the run '
                                'is complete, nothing to train')
        self.logger.info(f'Start running, work_dir: {self.work_dir}')
        self.logger.info(f'Hooks will be executed in the following order:\n{self.get_hook_info()}')
        self.logger.info(f'workflow: {list(workflow)}, max: {self._max_iters} iters')
        if self.rank == 0 and self.work_dir is not None:
            remove_stale_temporaries(self.work_dir, self.logger)
        self.call_hook('before_run')
        self._iter_loaders = [IterLoader(loader) for loader in data_loaders]
        self.call_hook('before_epoch')
        self._apply_resumed_state()
        self.loss_guard.reset(self._iter + 1)
        while self._iter < self._max_iters:
            for (mode, iters), loader in zip(workflow, self._iter_loaders):
                self._inner_iter = 0
                step = self.train if mode == 'train' else self.val
                for _ in range(iters):
                    if mode == 'train' and self._iter >= self._max_iters:
                        break
                    step(loader, **kwargs)
        self.call_hook('after_epoch')
        self.call_hook('after_run')

    # checkpoints

    def save_checkpoint(self, out_dir: str, filename_tmpl: str = 'iter_{}.pth', meta: Optional[dict] = None,
                        save_optimizer: bool = True, create_symlink: bool = True) -> str:
        """Save the training state to ``out_dir/filename_tmpl.format(iteration)`` and return the path.

        Raises FloatingPointError instead of saving if a loss since the last check, a weight, a
        buffer or an optimizer state is NaN/Inf; ``latest.pth`` then still points at the last good
        file. ``create_symlink`` points ``latest.pth`` at the new file.
        """
        if meta is not None and not isinstance(meta, dict):
            raise TypeError(f'meta must be a dict or None, got {type(meta).__name__}')
        done = self._iter + int(self._step_done)
        self.loss_guard.check(done, across_ranks=False)
        meta = dict(meta or {})
        meta.update(self.meta)
        meta.update(iter=done, epoch=self._epoch, data_loaders=[loader.state_dict() for loader in self._iter_loaders])
        if save_optimizer and self.optimizer is not None:
            meta['optimizer_type'] = optimizer_type(self.optimizer)
        filename = filename_tmpl.format(done)
        path = osp.join(out_dir, filename)
        try:
            save_checkpoint(self.model, path, optimizer=self.optimizer if save_optimizer else None, meta=meta,
                            scaler=self.grad_scaler)
        except NoSpaceError as e:
            last = self.meta.get('hook_msgs', {}).get('last_ckpt')
            raise NoSpaceError(path, 'checkpoint', f'; training stopped after iteration {done}, '
                               f'the last checkpoint written is {last or "none (this run wrote none)"}'
                               + (' (latest.pth points at it)' if last and create_symlink else '')) from None
        except FloatingPointError as e:
            last = self.meta.get('hook_msgs', {}).get('last_ckpt')
            raise FloatingPointError(f'training stopped after iteration {done}: {e}. The last checkpoint '
                                     f'written is {last or "none (this run wrote none)"}. Try a lower learning '
                                     'rate or grad_clip in optimizer_config.') from e
        if create_symlink:
            _point_latest_to(out_dir, filename)
        return path

    def load_checkpoint(self, filename: str, map_location='cpu', strict: bool = False,
                        revise_keys: Sequence[Tuple[str, str]] = ((r'^module\.', ''),),
                        partial: bool = False) -> dict:
        """Load weights only (e.g. ``load_from``); training starts at iteration 0.

        The file must hold every key of the model unless ``partial`` (see mmcv.checkpoint.load_checkpoint).
        """
        self.logger.info(f'load checkpoint from {filename}' + (' (partial load)' if partial else ''))
        return load_checkpoint(self.model, filename, map_location=map_location, strict=strict, logger=self.logger,
                               revise_keys=revise_keys, partial=partial)

    def resume(self, checkpoint: str, resume_optimizer: bool = True, map_location='default') -> None:
        """Continue the training saved in ``checkpoint``: weights, optimizer, iteration, AMP scaler,
        RNG states and data loader positions, so that the run ends as if it had never stopped.

        ``map_location='default'`` loads onto the model's device.
        """
        if map_location == 'default':
            map_location = self.device
        ckpt = load_checkpoint(self.model, checkpoint, map_location=map_location, strict=True, logger=self.logger)
        meta = ckpt.get('meta', {})
        if 'iter' not in meta:
            raise KeyError(f'{checkpoint} has no meta["iter"]: it is not a training checkpoint; '
                           'use load_checkpoint (load_from) to start from its weights')
        self._iter = self._inner_iter = int(meta['iter'])
        self._epoch = int(meta.get('epoch', 0))
        self.meta.setdefault('hook_msgs', {}).update(meta.get('hook_msgs', {}))
        if resume_optimizer and 'optimizer' in ckpt and self.optimizer is not None:
            self._resume_optimizer(ckpt['optimizer'], meta.get('optimizer_type'), checkpoint)
        self._resumed = {'rng': ckpt.get('rng'), 'scaler': ckpt.get('scaler'),
                         'data_loaders': meta.get('data_loaders')}
        restored = ['weights'] + (['optimizer state and settings'] if resume_optimizer and 'optimizer' in ckpt else [])
        restored += [name for name, key in (('RNG states', 'rng'), ('AMP scaler', 'scaler')) if ckpt.get(key) is not None]
        restored += ['data loader positions'] if meta.get('data_loaders') is not None else []
        self.logger.info(f'resumed from {checkpoint} at iter {self._iter}: restored {", ".join(restored)}; '
                         'the lr schedule continues from there')

    def _resume_optimizer(self, state, saved_type, checkpoint: str) -> None:
        """Load the saved optimizer state(s) after checking they fit; warn about settings the config changes."""
        if isinstance(self.optimizer, dict):
            if not isinstance(state, dict) or set(state) != set(self.optimizer):
                raise ValueError(f'cannot resume from {checkpoint}: it holds the optimizers '
                                 f'{sorted(state) if isinstance(state, dict) else "one optimizer"}, the config builds '
                                 f'{sorted(self.optimizer)}')
            pairs = [(f'optimizer.{name}', opt, state[name], (saved_type or {}).get(name) if isinstance(
                saved_type, dict) else None) for name, opt in self.optimizer.items()]
        else:
            pairs = [('optimizer', self.optimizer, state, saved_type if isinstance(saved_type, str) else None)]
        for key, optimizer, saved, saved_name in pairs:
            check_optimizer_class(optimizer, saved, saved_name, checkpoint, key)
            check_param_groups(optimizer, saved, checkpoint, key)
            diffs = setting_differences(optimizer, saved)
            if diffs:
                self.logger.warning(describe_differences(diffs, checkpoint, key))
            optimizer.load_state_dict(saved)

    def _apply_resumed_state(self) -> None:
        """Hand the state read by resume() to the parts created when the run starts."""
        resumed, self._resumed = self._resumed, {}
        states = resumed.get('data_loaders')
        if states is not None:
            if len(states) == len(self._iter_loaders):
                for loader, state in zip(self._iter_loaders, states):
                    loader.load_state_dict(state)
            else:
                warnings.warn(f'the checkpoint has {len(states)} data loader positions but the workflow '
                              f'uses {len(self._iter_loaders)} loaders: the loaders start afresh')
        if resumed.get('scaler') is not None:
            if self.grad_scaler is None:
                warnings.warn('the checkpoint holds an AMP GradScaler state but this run has no fp16 '
                              'AmpOptimizerHook: the state is ignored')
            else:
                self.grad_scaler.load_state_dict(resumed['scaler'])
        if resumed.get('rng') is not None:
            set_rng_state(resumed['rng'])

    def current_lr(self) -> Union[List[float], Dict[str, List[float]]]:
        """The lr of every param group (a dict of lists for a dict of optimizers)."""
        if self.optimizer is None:
            raise RuntimeError('current_lr() needs an optimizer; this runner has none')
        if isinstance(self.optimizer, dict):
            return {name: [g['lr'] for g in opt.param_groups] for name, opt in self.optimizer.items()}
        return [group['lr'] for group in self.optimizer.param_groups]
