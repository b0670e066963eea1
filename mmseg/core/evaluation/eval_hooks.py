"""Evaluation hooks: mmcv's EvalHook/DistEvalHook driven by mmseg's test loop with pre-eval records."""
import functools

from mmcv.runner import DistEvalHook as _DistEvalHook
from mmcv.runner import EvalHook as _EvalHook

from .test_loop import multi_gpu_test, single_gpu_test


class EvalHook(_EvalHook):
    """Evaluate on the validation set every ``interval`` iterations (one process).

    ``pre_eval`` (mmseg's flag) is accepted and always on: per-image confusion records keep memory flat.
    """

    def __init__(self, *args, pre_eval: bool = True, efficient_test: bool = False, **kwargs):
        kwargs.setdefault('test_fn', functools.partial(single_gpu_test, pre_eval=True))
        super().__init__(*args, **kwargs)


class DistEvalHook(_DistEvalHook):
    """Distributed evaluation: every rank tests its share, rank 0 scores."""

    def __init__(self, *args, pre_eval: bool = True, efficient_test: bool = False, **kwargs):
        kwargs.setdefault('test_fn', functools.partial(multi_gpu_test, pre_eval=True))
        super().__init__(*args, **kwargs)
