"""Evaluation hooks: mmcv's EvalHook/DistEvalHook driven by mmseg's test loops with pre-eval records."""
from mmcv.runner import DistEvalHook as _DistEvalHook
from mmcv.runner import EvalHook as _EvalHook


def _single_test(model, data_loader):
    from mmseg.apis.test import single_gpu_test
    return single_gpu_test(model, data_loader, pre_eval=True)


def _multi_test(model, data_loader, tmpdir=None, gpu_collect=False):
    from mmseg.apis.test import multi_gpu_test
    return multi_gpu_test(model, data_loader, tmpdir=tmpdir, gpu_collect=gpu_collect, pre_eval=True)


class EvalHook(_EvalHook):
    """Evaluate on the validation set every ``interval`` iterations (one process).

    ``pre_eval`` (mmseg's flag) is accepted and always on: per-image confusion records keep memory flat.
    """

    def __init__(self, *args, pre_eval: bool = True, efficient_test: bool = False, **kwargs):
        kwargs.setdefault('test_fn', _single_test)
        super().__init__(*args, **kwargs)


class DistEvalHook(_DistEvalHook):
    """Distributed evaluation: every rank tests its share, rank 0 scores."""

    def __init__(self, *args, pre_eval: bool = True, efficient_test: bool = False, **kwargs):
        kwargs.setdefault('test_fn', _multi_test)
        super().__init__(*args, **kwargs)
