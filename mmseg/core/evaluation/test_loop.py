"""The segmentation test loop shared by the evaluation hooks and :mod:`mmseg.apis.test`: mmcv's loop with the
model called for predictions at the original image size, with probabilities where the FOV AUC needs them."""
from typing import List, Optional

from mmcv.runner import test_loops
from mmcv.runner.test_loops import BatchCallback


def forward_options(dataset, pre_eval: bool, return_prob: bool) -> dict:
    """Model call options: rescaled predictions; probabilities only when they are scored (a dataset with FOV
    masks, whose AUC needs them) and the results are either reduced at once (``pre_eval``) or asked for."""
    wants_prob = bool(getattr(dataset, 'fov_dir', None))
    return dict(rescale=True, return_prob=(pre_eval or return_prob) and wants_prob)


def single_gpu_test(model, data_loader, pre_eval: bool = False, return_prob: bool = False,
                    on_batch: Optional[BatchCallback] = None, progress: bool = True) -> List:
    """One :class:`~mmseg.core.SegResult` per image in dataset order, or with ``pre_eval`` the dataset's
    per-image evaluation records. ``return_prob`` keeps the probabilities of a dataset with FOV masks in
    the results (evaluating them later still scores the FOV AUC). ``on_batch``: see :mod:`mmcv.runner.test_loops`."""
    return test_loops.single_gpu_test(model, data_loader, pre_eval=pre_eval, on_batch=on_batch, progress=progress,
                                      forward_kwargs=forward_options(data_loader.dataset, pre_eval, return_prob))


def multi_gpu_test(model, data_loader, tmpdir: Optional[str] = None, gpu_collect: bool = False,
                   pre_eval: bool = False, return_prob: bool = False,
                   on_batch: Optional[BatchCallback] = None) -> Optional[List]:
    """:func:`single_gpu_test` over the ranks: rank 0 gets all results in dataset order, the others None."""
    return test_loops.multi_gpu_test(model, data_loader, tmpdir=tmpdir, gpu_collect=gpu_collect, pre_eval=pre_eval,
                                     on_batch=on_batch, progress=True,
                                     forward_kwargs=forward_options(data_loader.dataset, pre_eval, return_prob))
