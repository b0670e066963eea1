"""The values logged during training, averaged when a logger writes them out."""
from typing import Any, Dict, List, Mapping, Tuple

import torch


class LogBuffer:
    """Collects per-iteration values (losses, timings) and averages them on demand.

    Values may be Python numbers or 0-dim tensors. Tensors stay where they are until
    :meth:`average`, which converts all of them with one host transfer: logging every iteration
    never waits for the GPU.

    Attributes:
        output: the latest averages (and whatever hooks add, e.g. evaluation results).
        ready: whether ``output`` holds values to be written out.
    """

    def __init__(self):
        self._history: Dict[str, List[Tuple[Any, float]]] = {}
        self.output: Dict[str, Any] = {}
        self.ready = False

    def update(self, values: Mapping[str, Any], count: float = 1) -> None:
        """Record ``values`` (name -> number or 0-dim tensor), each weighing ``count`` in the average."""
        for key, value in values.items():
            if isinstance(value, torch.Tensor) and value.requires_grad:
                value = value.detach()
            self._history.setdefault(key, []).append((value, count))

    def average(self) -> None:
        """Put the count-weighted mean of each value recorded since the last average into ``output``."""
        sums: Dict[str, float] = {}
        tensor_sums: Dict[str, torch.Tensor] = {}
        totals: Dict[str, float] = {}
        for key, entries in self._history.items():
            totals[key] = sum(count for _, count in entries)
            sums[key] = sum(float(value) * count for value, count in entries if not isinstance(value, torch.Tensor))
            tensors = [(value, count) for value, count in entries if isinstance(value, torch.Tensor)]
            if tensors:
                stacked = torch.stack([value.detach().float().reshape(()) for value, _ in tensors])
                weights = torch.tensor([count for _, count in tensors], dtype=stacked.dtype).to(stacked.device)
                tensor_sums[key] = (stacked * weights).sum()
        if tensor_sums:
            device = next(iter(tensor_sums.values())).device
            host = torch.stack([value.to(device) for value in tensor_sums.values()]).tolist()
            for key, value in zip(tensor_sums, host):
                sums[key] += value
        for key, total in totals.items():
            self.output[key] = sums[key] / total if total else sums[key]
        self._history.clear()
        self.ready = True

    def clear_output(self) -> None:
        self.output.clear()
        self.ready = False

    def clear(self) -> None:
        """Forget the recorded values and the output."""
        self._history.clear()
        self.clear_output()
