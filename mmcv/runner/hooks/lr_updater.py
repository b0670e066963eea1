"""Learning-rate schedules: set each param group's lr before every training iteration."""
from typing import List, Optional

from ..builder import HOOKS
from .hook import Hook

_WARMUPS = ('constant', 'linear', 'exp')


def param_groups(optimizer) -> List[dict]:
    """The param groups of an optimizer or of a dict of optimizers."""
    if isinstance(optimizer, dict):
        return [group for opt in optimizer.values() for group in opt.param_groups]
    return list(optimizer.param_groups)


class LrUpdaterHook(Hook):
    """Base of the schedules: lr = warmup(schedule(base lr, iteration)).

    Args:
        by_epoch: must be False; iteration-based training schedules per iteration.
        warmup: None, 'constant', 'linear' or 'exp'; applied during the first ``warmup_iters``.
        warmup_iters: length of the warmup.
        warmup_ratio: lr factor at the first iteration ('linear'/'exp' rise from it to 1).
        warmup_by_epoch: must be False.
    """

    def __init__(self, by_epoch: bool = False, warmup: Optional[str] = None, warmup_iters: int = 0,
                 warmup_ratio: float = 0.1, warmup_by_epoch: bool = False):
        if by_epoch or warmup_by_epoch:
            raise ValueError(f'{type(self).__name__}: only by_epoch=False (per-iteration schedules) is supported')
        if warmup is not None:
            if warmup not in _WARMUPS:
                raise ValueError(f'warmup must be None or one of {_WARMUPS}, got {warmup!r}')
            if warmup_iters <= 0:
                raise ValueError(f'warmup={warmup!r} needs warmup_iters > 0, got {warmup_iters}')
            if not 0 < warmup_ratio <= 1:
                raise ValueError(f'warmup_ratio must be in (0, 1], got {warmup_ratio}')
        self.warmup = warmup
        self.warmup_iters = warmup_iters
        self.warmup_ratio = warmup_ratio
        self.base_lr: List[float] = []
        self._groups: List[dict] = []

    def get_lr(self, runner, base_lr: float) -> float:
        """The scheduled lr at ``runner.iter`` for a group whose initial lr is ``base_lr``."""
        raise NotImplementedError

    def warmup_factor(self, cur_iter: int) -> float:
        """The factor applied to the scheduled lr at 0-based iteration ``cur_iter`` (1 after warmup)."""
        if self.warmup is None or cur_iter >= self.warmup_iters:
            return 1.
        progress = cur_iter / self.warmup_iters
        if self.warmup == 'constant':
            return self.warmup_ratio
        if self.warmup == 'linear':
            return 1 - (1 - progress) * (1 - self.warmup_ratio)
        return self.warmup_ratio ** (1 - progress)

    def before_run(self, runner) -> None:
        if runner.optimizer is None:
            raise RuntimeError(f'{type(self).__name__} needs an optimizer, the runner has none')
        self._groups = param_groups(runner.optimizer)
        for group in self._groups:
            group.setdefault('initial_lr', group['lr'])
        self.base_lr = [group['initial_lr'] for group in self._groups]

    def before_train_iter(self, runner) -> None:
        factor = self.warmup_factor(runner.iter)
        for group, base_lr in zip(self._groups, self.base_lr):
            group['lr'] = self.get_lr(runner, base_lr) * factor


@HOOKS.register_module()
class PolyLrUpdaterHook(LrUpdaterHook):
    """lr = (base_lr - min_lr) * (1 - iter / max_iters) ** power + min_lr."""

    def __init__(self, power: float = 1., min_lr: float = 0., **kwargs):
        super().__init__(**kwargs)
        self.power = power
        self.min_lr = min_lr

    def get_lr(self, runner, base_lr: float) -> float:
        coeff = (1 - runner.iter / runner.max_iters) ** self.power
        return (base_lr - self.min_lr) * coeff + self.min_lr


@HOOKS.register_module()
class StepLrUpdaterHook(LrUpdaterHook):
    """lr = base_lr * gamma ** (number of steps passed), not below ``min_lr``.

    ``step`` is an interval (int) or a list of milestone iterations.
    """

    def __init__(self, step, gamma: float = 0.1, min_lr: Optional[float] = None, **kwargs):
        steps = [step] if isinstance(step, int) else list(step)
        if not steps or any(not isinstance(s, int) or s <= 0 for s in steps):
            raise ValueError(f'step must be a positive int or a list of them, got {step!r}')
        super().__init__(**kwargs)
        self.step = step
        self.gamma = gamma
        self.min_lr = min_lr

    def get_lr(self, runner, base_lr: float) -> float:
        if isinstance(self.step, int):
            exp = runner.iter // self.step
        else:
            exp = sum(1 for milestone in self.step if runner.iter >= milestone)
        lr = base_lr * self.gamma ** exp
        return lr if self.min_lr is None else max(lr, self.min_lr)
