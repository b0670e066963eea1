"""The hook base class: a hook overrides the stages it cares about; each stage gets the runner."""


class Hook:
    """Base of all hooks; every stage does nothing unless overridden.

    Stages called by :class:`~mmcv.runner.IterBasedRunner`: ``before_run``/``after_run`` once,
    ``before_epoch``/``after_epoch`` around the whole loop, ``before_train_iter``/``after_train_iter``
    (which default to ``before_iter``/``after_iter``) around every training iteration, the same for
    ``*_val_iter`` in a 'val' workflow, and ``before_val_epoch``/``after_val_epoch`` around each
    evaluation an :class:`~mmcv.runner.EvalHook` runs (loggers write the results there).

    In ``after_train_iter``, ``runner.iter`` is still the 0-based index of the iteration just done.
    """

    def before_run(self, runner) -> None:
        pass

    def after_run(self, runner) -> None:
        pass

    def before_epoch(self, runner) -> None:
        pass

    def after_epoch(self, runner) -> None:
        pass

    def before_iter(self, runner) -> None:
        pass

    def after_iter(self, runner) -> None:
        pass

    def before_train_iter(self, runner) -> None:
        self.before_iter(runner)

    def after_train_iter(self, runner) -> None:
        self.after_iter(runner)

    def before_val_iter(self, runner) -> None:
        self.before_iter(runner)

    def after_val_iter(self, runner) -> None:
        self.after_iter(runner)

    def before_val_epoch(self, runner) -> None:
        pass

    def after_val_epoch(self, runner) -> None:
        pass

    @staticmethod
    def every_n_iters(runner, n: int) -> bool:
        """Whether the iteration just done is a multiple of ``n`` (never for n <= 0)."""
        return n > 0 and (runner.iter + 1) % n == 0

    @staticmethod
    def is_last_iter(runner) -> bool:
        return runner.iter + 1 >= runner.max_iters
