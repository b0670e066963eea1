"""Test loops of the evaluation hooks and the test APIs: predict every batch, gather results over ranks.

With ``pre_eval`` each batch's outputs are replaced at once by the dataset's small per-image records
(``dataset.pre_eval(outputs, indices=...)``), so memory stays flat however large the test set.
"""
from typing import Callable, Iterator, List, Optional

import torch
from tqdm import tqdm

from mmcv.dist import collect_results_cpu, collect_results_gpu, get_dist_info

#: ``on_batch(outputs, batch, indices)``: sees each batch's outputs before ``pre_eval`` reduces them
BatchCallback = Callable[[list, dict, List[int]], None]


def _batch_indices(data_loader, needed: bool) -> Optional[Iterator[List[int]]]:
    """The dataset indices of each batch, from a second pass over the loader's (deterministic) batch sampler."""
    if data_loader.batch_sampler is None:
        if needed:
            raise ValueError('pre_eval and on_batch need the dataset index of each sample: use a loader with a '
                             'batch sampler (batch_size set), not batch_size=None')
        return None
    return iter(data_loader.batch_sampler)


def single_gpu_test(model, data_loader, pre_eval: bool = False, forward_kwargs: Optional[dict] = None,
                    on_batch: Optional[BatchCallback] = None, progress: bool = False) -> List:
    """``model(return_loss=False, **forward_kwargs, **batch)`` for every batch, results in loader order.

    Args:
        pre_eval: keep ``dataset.pre_eval(outputs, indices=...)`` of each batch instead of the outputs.
        forward_kwargs: extra arguments of every model call (e.g. ``rescale=True``).
        on_batch: called with each batch's outputs, the batch and its dataset indices (e.g. to draw them).
        progress: show a progress bar (one tick per sample).
    """
    dataset = data_loader.dataset
    batches = _batch_indices(data_loader, needed=pre_eval or on_batch is not None)
    results: List = []
    bar = tqdm(total=len(data_loader), desc='test', unit='img', disable=not progress, leave=False)
    model.eval()
    for data in data_loader:
        indices = list(next(batches)) if batches is not None else None
        with torch.no_grad():
            outputs = model(return_loss=False, **(forward_kwargs or {}), **data)
        if not isinstance(outputs, list):
            outputs = [outputs]
        if on_batch is not None:
            on_batch(outputs, data, indices)
        if pre_eval:
            outputs = dataset.pre_eval(outputs, indices=indices)
        results.extend(outputs)
        bar.update(len(outputs))
    bar.close()
    return results


def multi_gpu_test(model, data_loader, tmpdir: Optional[str] = None, gpu_collect: bool = False,
                   **loop_kwargs) -> Optional[List]:
    """Each rank tests its share of a distributed loader; rank 0 gets all results in dataset order, the others
    None. ``loop_kwargs``: as for :func:`single_gpu_test` (the progress bar only on rank 0)."""
    rank, _ = get_dist_info()
    loop_kwargs['progress'] = loop_kwargs.get('progress', False) and rank == 0
    results = single_gpu_test(model, data_loader, **loop_kwargs)
    size = len(data_loader.dataset)
    if gpu_collect:
        return collect_results_gpu(results, size)
    return collect_results_cpu(results, size, tmpdir)
