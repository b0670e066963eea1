"""Default test loops of the evaluation hooks: predict every batch, gather results over ranks."""
from typing import List, Optional

import torch

from mmcv.dist import collect_results_cpu, collect_results_gpu


def single_gpu_test(model, data_loader) -> List:
    """``model(return_loss=False, **batch)`` for every batch, results concatenated in loader order."""
    model.eval()
    results: List = []
    with torch.no_grad():
        for data in data_loader:
            output = model(return_loss=False, **data)
            results.extend(output if isinstance(output, list) else [output])
    return results


def multi_gpu_test(model, data_loader, tmpdir: Optional[str] = None, gpu_collect: bool = False) -> Optional[List]:
    """Each rank tests its share of a distributed loader; rank 0 gets all results, the others None."""
    results = single_gpu_test(model, data_loader)
    size = len(data_loader.dataset)
    if gpu_collect:
        return collect_results_gpu(results, size)
    return collect_results_cpu(results, size, tmpdir)
