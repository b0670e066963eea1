"""Datasets, transforms and loaders."""
from .builder import DATASETS, PIPELINES, build_dataloader, build_dataset, worker_init_fn
from .chase_db1 import ChaseDB1Dataset
from .collate import collate
from .custom import CustomDataset
from .dataset_wrappers import ConcatDataset, RepeatDataset
from .drive import DRIVEDataset
from .hrf import HRFDataset
from .samplers import DistributedSampler
from .stare import STAREDataset

__all__ = [
    'DATASETS', 'PIPELINES', 'build_dataloader', 'build_dataset', 'worker_init_fn', 'collate', 'CustomDataset',
    'RepeatDataset', 'DRIVEDataset', 'DistributedSampler', 'ConcatDataset', 'STAREDataset', 'ChaseDB1Dataset',
    'HRFDataset'
]
