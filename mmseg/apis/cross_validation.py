"""K-fold / leave-one-out cross-validation and repeated seeds over a config's images (tools/cross_validate.py).

The images are the config's training split (``data.train``, inside any RepeatDataset), or the training and
validation splits pooled (``pool=True``). They are sorted, shuffled with ``split_seed`` and dealt into K folds;
leave-one-out is K = the number of images. Fold k validates on its images and trains on all the others. Each
fold is a config file ``WORK/fold_k/config.py`` that inherits the user's config and replaces ``data.train`` /
``data.val`` / ``data.test`` by the same datasets restricted through mmseg split files
(``WORK/folds/fold_k_{train,val}_{source}.txt``, one image name without suffix per line), so a fold is an
ordinary config: ``tools/train.py`` and ``tools/test.py`` (or their slurm scripts) run it. A fold whose
``eval.json`` exists is done and not run again; an interrupted one continues with ``--auto-resume``.

FOV masks of training-split images scored in a pooled fold are looked for beside the validation masks
(``masks/validation`` -> ``masks/training``, the converted layout of all four retinal sets).
"""
import copy
import json
import math
import os.path as osp
import random
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmcv.config import Config
from mmcv.fileio import atomic_write, mkdir_or_exist

Image = Tuple[str, str]  # (source: 'train' or 'val', image name without suffix)


def _inner(dataset_cfg: dict) -> Tuple[dict, Optional[int]]:
    """The image dataset of a data.train entry and the RepeatDataset times around it (None without)."""
    if dataset_cfg.get('type') == 'RepeatDataset':
        return copy.deepcopy(dict(dataset_cfg['dataset'])), dataset_cfg['times']
    if isinstance(dataset_cfg, (list, tuple)) or dataset_cfg.get('type') == 'ConcatDataset':
        raise ValueError('cross-validation needs one image dataset in data.train (optionally inside a '
                         'RepeatDataset), not a ConcatDataset or a list')
    return copy.deepcopy(dict(dataset_cfg)), None


def _folder(ds: dict, key: str) -> Optional[str]:
    value = ds.get(key)
    if value is None or osp.isabs(value) or not ds.get('data_root'):
        return value
    return osp.join(ds['data_root'], value)


def list_images(ds: dict) -> List[str]:
    """The image names (suffix removed) of dataset config ``ds``, as the dataset itself lists them."""
    from mmseg.datasets import build_dataset
    dataset = build_dataset(dict(ds, pipeline=[]))
    suffix = dataset.img_suffix
    return sorted(info['filename'][:len(info['filename']) - len(suffix)] for info in dataset.img_infos)


def _with_folders(base: dict, origin: dict) -> dict:
    base = copy.deepcopy(base)
    for key in ('data_root', 'img_dir', 'ann_dir', 'img_suffix', 'seg_map_suffix'):
        if key in origin:
            base[key] = origin[key]
    return base


def scored_as_validation(val_ds: dict, origin: dict, training: bool) -> dict:
    """``origin``'s images (folders, suffixes) read as ``val_ds`` reads its own: test pipeline, FOV masks.

    For training-split images (``training``) the FOV masks are looked for beside the validation ones
    (``masks/validation`` -> ``masks/training``); FileNotFoundError when they are not there.
    """
    base = _with_folders(val_ds, origin)
    base.pop('split', None)
    if training and val_ds.get('fov_dir'):
        fov = val_ds['fov_dir']
        train_leaf = osp.basename(osp.normpath(origin['img_dir']))
        base['fov_dir'] = osp.join(osp.dirname(osp.normpath(fov)), train_leaf)
        if not osp.isdir(_folder(base, 'fov_dir')):
            raise FileNotFoundError(f'the validation set has FOV masks ({fov}) but there are none for the '
                                    f'training images at {_folder(base, "fov_dir")}')
    return base


def training_images_scored(cfg) -> dict:
    """The dataset config of ``cfg``'s training images as its validation set reads images (test pipeline, FOV)."""
    train_ds, _ = _inner(cfg.data.train)
    return scored_as_validation(dict(cfg.data.val), train_ds, training=True)


def make_folds(images: Sequence[Image], folds: Optional[int], split_seed: int = 0) -> List[List[Image]]:
    """The validation images of each fold: ``images`` shuffled with ``split_seed`` and dealt out in turn;
    ``folds=None`` is leave-one-out."""
    images = sorted(images)
    if folds is None:
        folds = len(images)
    if isinstance(folds, bool) or not isinstance(folds, int) or not 2 <= folds <= len(images):
        raise ValueError(f'--folds must be an int from 2 to the number of images ({len(images)}), got {folds!r}')
    order = list(images)
    random.Random(split_seed).shuffle(order)
    return [sorted(order[k::folds]) for k in range(folds)]


class CrossValidation:
    """The folds of ``config`` and their configs under ``work_dir`` (see the module docstring)."""

    def __init__(self, config: str, work_dir: str, folds: Optional[int] = 5, pool: bool = False,
                 split_seed: int = 0):
        self.config = osp.abspath(config)
        self.work_dir = osp.abspath(work_dir)
        cfg = Config.fromfile(config)
        self.train_ds, self.times = _inner(cfg.data.train)
        self.val_ds = copy.deepcopy(dict(cfg.data.val))
        self.pool = pool
        self.sources: Dict[str, dict] = {'train': self.train_ds}
        if pool:
            self.sources['val'] = self.val_ds
        images = [(source, name) for source, ds in self.sources.items() for name in list_images(ds)]
        self.folds = make_folds(images, folds, split_seed)
        self.split_seed = split_seed

    def _source_ds(self, source: str, for_val: bool) -> dict:
        """A dataset config reading ``source``'s folders with the pipeline (and FOV masks) of training or validation."""
        origin = self.sources[source]
        if for_val:
            return scored_as_validation(self.val_ds, origin, training=source == 'train')
        base = _with_folders(self.train_ds, origin)
        base.pop('split', None)
        return base

    def _split_file(self, k: int, role: str, source: str, names: List[str]) -> str:
        path = osp.join(self.work_dir, 'folds', f'fold_{k}_{role}_{source}.txt')
        with atomic_write(path) as f:
            f.write(''.join(f'{name}\n' for name in names))
        return path

    def _dataset(self, k: int, role: str, images: List[Image]) -> dict:
        parts = []
        for source in self.sources:
            names = [name for src, name in images if src == source]
            if names:
                ds = self._source_ds(source, for_val=role == 'val')
                ds['split'] = self._split_file(k, role, source, names)
                parts.append(ds)
        return parts[0] if len(parts) == 1 else dict(type='ConcatDataset', datasets=parts, separate_eval=False)

    def fold_dir(self, k: int) -> str:
        return osp.join(self.work_dir, f'fold_{k}')

    def write(self) -> List[str]:
        """Write the split files and one config per fold; returns the config paths."""
        mkdir_or_exist(osp.join(self.work_dir, 'folds'))
        paths = []
        everything = [image for fold in self.folds for image in fold]
        for k, val_images in enumerate(self.folds):
            held_out = set(val_images)
            train = self._dataset(k, 'train', [image for image in everything if image not in held_out])
            if self.times is not None:
                train = dict(type='RepeatDataset', times=self.times, dataset=train)
            val = self._dataset(k, 'val', val_images)
            text = (f'# fold {k} of {len(self.folds)} (split seed {self.split_seed}, '
                    f'{"training and validation splits pooled" if self.pool else "training split only"}), '
                    f'written by tools/cross_validate.py\n'
                    f'_base_ = {self.config!r}\n'
                    f'data = dict(train={dict(train, _delete_=True)!r},\n'
                    f'            val={dict(val, _delete_=True)!r},\n'
                    f'            test={dict(val, _delete_=True)!r})\n')
            path = osp.join(self.fold_dir(k), 'config.py')
            mkdir_or_exist(self.fold_dir(k))
            with atomic_write(path) as f:
                f.write(text)
            paths.append(path)
        listing = {f'fold_{k}': [f'{src}/{name}' for src, name in fold] for k, fold in enumerate(self.folds)}
        with atomic_write(osp.join(self.work_dir, 'folds', 'folds.json')) as f:
            json.dump(dict(config=self.config, pool=self.pool, split_seed=self.split_seed, folds=listing), f, indent=2)
        return paths


def _finite(values: Sequence[float]) -> List[float]:
    return [v for v in values if isinstance(v, (int, float)) and not math.isnan(v)]


def summarize(evals: Dict[str, dict]) -> dict:
    """Per-run metrics, their mean / spread (sample std) / min / max, and the pooled per-image rows.

    ``evals``: run name (``fold_0`` or ``fold_0/seed_1``...) -> eval JSON (``metric``, ``per_image``).
    """
    runs = {name: record['metric'] for name, record in evals.items()}
    keys = [key for key in next(iter(runs.values()))] if runs else []
    stats = {}
    for key in keys:
        values = _finite([metrics.get(key, math.nan) for metrics in runs.values()])
        if values:
            stats[key] = dict(mean=float(np.mean(values)), std=float(np.std(values, ddof=1)) if len(values) > 1
                              else 0.0, min=float(min(values)), max=float(max(values)), n=len(values))
    rows = [dict(run=name, **row) for name, record in evals.items() for row in record.get('per_image') or []]
    pooled = {}
    if rows:
        for key in [k for k in rows[0] if k not in ('run', 'image')]:
            values = _finite([row.get(key, math.nan) for row in rows])
            if values:
                pooled[key] = dict(mean=float(np.mean(values)), std=float(np.std(values, ddof=1)) if len(values) > 1
                                   else 0.0, n=len(values))
    return dict(runs=runs, stats=stats, per_image=rows, per_image_stats=pooled)
