"""Dataset wrappers."""
from torch.utils.data import Dataset

from .builder import DATASETS


@DATASETS.register_module()
class RepeatDataset(Dataset):
    """``dataset`` repeated ``times`` times: one long epoch, so loaders restart (and workers respawn) rarely."""

    def __init__(self, dataset: Dataset, times: int):
        if not isinstance(times, int) or times < 1:
            raise ValueError(f'times must be a positive int, got {times!r}')
        self.dataset = dataset
        self.times = times
        self.CLASSES = getattr(dataset, 'CLASSES', None)
        self.PALETTE = getattr(dataset, 'PALETTE', None)
        self._ori_len = len(dataset)

    def __getitem__(self, idx: int):
        return self.dataset[idx % self._ori_len]

    def __len__(self) -> int:
        return self.times * self._ori_len

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(times={self.times}, dataset={self.dataset!r})'
