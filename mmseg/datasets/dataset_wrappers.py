"""Dataset wrappers: several datasets as one (ConcatDataset), one dataset many times (RepeatDataset)."""
import bisect
from itertools import chain
from typing import Dict, List, Optional, Sequence, Tuple

from torch.utils.data import ConcatDataset as _ConcatDataset
from torch.utils.data import Dataset

from mmcv.logging import print_log

from .builder import DATASETS
from .custom import _is_record


@DATASETS.register_module()
class ConcatDataset(_ConcatDataset):
    """``datasets`` one after the other, e.g. the training splits of DRIVE and STARE for one model.

    All must have the same ``CLASSES``. Evaluation with ``separate_eval`` (mmseg 0.x's default) scores
    each dataset on its own share of the results and prefixes its metrics with its position
    (``'0_mDice'``, ``'1_mDice'``, ...); without it, all images are scored together as one set (each
    image against its own dataset's label map and FOV mask).
    """

    def __init__(self, datasets: Sequence[Dataset], separate_eval: bool = True):
        if not datasets:
            raise ValueError('ConcatDataset needs at least one dataset')
        if not isinstance(separate_eval, bool):
            raise TypeError(f'separate_eval must be True or False, got {separate_eval!r}')
        super().__init__(datasets)
        self.CLASSES = getattr(datasets[0], 'CLASSES', None)
        self.PALETTE = getattr(datasets[0], 'PALETTE', None)
        for i, dataset in enumerate(datasets[1:], 1):
            classes = getattr(dataset, 'CLASSES', None)
            if tuple(classes or ()) != tuple(self.CLASSES or ()):
                raise ValueError(f'ConcatDataset: dataset {i} ({type(dataset).__name__}) has CLASSES {classes}, '
                                 f'dataset 0 ({type(datasets[0]).__name__}) has {self.CLASSES}; they must agree')
        self.separate_eval = separate_eval

    @property
    def fov_dir(self) -> Optional[List[Optional[str]]]:
        """The datasets' FOV folders, or None when none has one (test loops ask for probabilities if set)."""
        dirs = [getattr(d, 'fov_dir', None) for d in self.datasets]
        return dirs if any(dirs) else None

    def get_dataset_idx_and_sample_idx(self, index: int) -> Tuple[int, int]:
        """(which dataset, index inside it) of global ``index`` (negative counts from the end)."""
        if index < 0:
            if -index > len(self):
                raise IndexError(f'index {index} is out of range for a ConcatDataset of {len(self)} images')
            index += len(self)
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, index)
        sample_idx = index if dataset_idx == 0 else index - self.cumulative_sizes[dataset_idx - 1]
        return dataset_idx, sample_idx

    def get_gt_seg_map_by_idx(self, index: int):
        dataset_idx, sample_idx = self.get_dataset_idx_and_sample_idx(index)
        return self.datasets[dataset_idx].get_gt_seg_map_by_idx(sample_idx)

    def get_gt_seg_maps(self, efficient_test: Optional[bool] = None):
        return chain.from_iterable(d.get_gt_seg_maps() for d in self.datasets)

    def pre_eval(self, preds, indices) -> list:
        """Each prediction's record from the dataset it belongs to (see ``CustomDataset.pre_eval``)."""
        preds = preds if isinstance(preds, list) else [preds]
        indices = indices if isinstance(indices, list) else [indices]
        if len(preds) != len(indices):
            raise ValueError(f'pre_eval got {len(preds)} predictions for {len(indices)} indices')
        records = []
        for pred, index in zip(preds, indices):
            dataset_idx, sample_idx = self.get_dataset_idx_and_sample_idx(index)
            records.extend(self.datasets[dataset_idx].pre_eval(pred, sample_idx))
        return records

    def _shares(self, results: list) -> List[Tuple[int, Dataset, list]]:
        starts = [0] + self.cumulative_sizes[:-1]
        return [(i, d, results[start:end]) for i, (d, start, end)
                in enumerate(zip(self.datasets, starts, self.cumulative_sizes))]

    def evaluate(self, results: list, logger=None, **kwargs) -> Dict[str, float]:
        """Scores of ``results`` (records or predictions in dataset order), per dataset or pooled."""
        if len(results) != len(self):
            raise ValueError(f'ConcatDataset.evaluate got {len(results)} results for {len(self)} images')
        if not self.separate_eval:
            records = []
            for _, dataset, share in self._shares(results):
                records.extend(share if all(_is_record(r) for r in share)
                               else dataset.pre_eval(share, list(range(len(share)))))
            return self.datasets[0].evaluate(records, logger=logger, **kwargs)
        metrics = {}
        for i, dataset, share in self._shares(results):
            print_log(f'Evaluating dataset {i} ({type(dataset).__name__}, {getattr(dataset, "img_dir", "")}) '
                      f'with {len(share)} images', logger)
            scores = dataset.evaluate(share, logger=logger, **kwargs)
            metrics.update((f'{i}_{key}', value) for key, value in scores.items())
        return metrics

    def per_image_results(self, results: list) -> List[dict]:
        """Each image's figures from its own dataset (``CustomDataset.per_image_results``), its name prefixed
        with the dataset's position (``'1/01_test.tif'``): two datasets may hold images of the same name."""
        if len(results) != len(self):
            raise ValueError(f'ConcatDataset.per_image_results got {len(results)} results for {len(self)} images')
        entries = []
        for i, dataset, share in self._shares(results):
            entries.extend(dict(entry, image=f'{i}/{entry["image"]}') for entry in dataset.per_image_results(share))
        return entries

    def metric_keys(self, **kwargs) -> List[str]:
        """The keys :meth:`evaluate` returns (see ``CustomDataset.metric_keys``), scoring nothing."""
        if self.separate_eval:
            return [f'{i}_{key}' for i, dataset in enumerate(self.datasets) for key in dataset.metric_keys(**kwargs)]
        keys: List[str] = []
        for dataset in self.datasets:
            keys.extend(key for key in dataset.metric_keys(**kwargs) if key not in keys)
        return keys

    def format_results(self, results: list, imgfile_prefix: str, indices: Optional[List[int]] = None,
                       **kwargs) -> List[str]:
        """Each prediction written by its own dataset under ``imgfile_prefix/<position>/``."""
        indices = list(range(len(results))) if indices is None else indices
        files = []
        for result, index in zip(results, indices):
            dataset_idx, sample_idx = self.get_dataset_idx_and_sample_idx(index)
            files.extend(self.datasets[dataset_idx].format_results(
                [result], f'{imgfile_prefix}/{dataset_idx}', indices=[sample_idx], **kwargs))
        return files

    def __repr__(self) -> str:
        inner = ', '.join(repr(d) for d in self.datasets)
        return f'{self.__class__.__name__}(separate_eval={self.separate_eval}, datasets=[{inner}])'


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
