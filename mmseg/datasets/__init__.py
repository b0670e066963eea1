"""Datasets, transforms and loaders."""
from .builder import DATASETS, PIPELINES, build_dataloader, build_dataset, worker_init_fn
from .collate import collate
from .custom import CustomDataset
from .dataset_wrappers import RepeatDataset
from .drive import DRIVEDataset
from .samplers import DistributedSampler

__all__ = [
    'DATASETS', 'PIPELINES', 'build_dataloader', 'build_dataset', 'worker_init_fn', 'collate', 'CustomDataset',
    'RepeatDataset', 'DRIVEDataset', 'DistributedSampler'
]
