"""Tiny model, dataset and runner factory shared by the runner tests."""
import logging
import random
from collections import OrderedDict
from typing import List, Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from mmcv.runner import IterBasedRunner, build_optimizer


class ToyDataset(Dataset):
    """Fixed random samples; __getitem__ adds numpy noise, like a random augmentation would."""

    def __init__(self, size: int = 11, scores: Optional[List[float]] = None):
        gen = torch.Generator().manual_seed(0)
        self.x = torch.randn(size, 4, generator=gen)
        self.y = torch.randint(0, 2, (size,), generator=gen)
        self.scores = list(scores or [])
        self.evaluated: List[list] = []

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, idx: int) -> dict:
        noise = torch.from_numpy(np.random.rand(4).astype(np.float32)) * 0.1
        return {'img': self.x[idx] + noise, 'gt_semantic_seg': self.y[idx], 'img_metas': {'idx': idx}}

    def evaluate(self, results, logger=None, **kwargs) -> dict:
        """Accuracy of the predictions, or the next scripted score as 'mDice'."""
        self.evaluated.append(list(results))
        if self.scores:
            return OrderedDict(mDice=self.scores.pop(0), aAcc=0.5)
        correct = sum(int(pred == label) for pred, label in zip(results, self.y.tolist()))
        return OrderedDict(acc=correct / len(self))


class ToyModel(nn.Module):
    """Linear-BN-Dropout-Linear classifier with mmseg's train_step contract.

    ``nan_from``: the loss is NaN from this call of train_step on (1-based).
    """

    def __init__(self, dropout: float = 0.3, nan_from: Optional[int] = None):
        super().__init__()
        self.backbone = nn.Linear(4, 8)
        self.norm = nn.BatchNorm1d(8)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(8, 2)
        self.nan_from = nan_from
        self.calls = 0
        self.autocast_dtypes: List[torch.dtype] = []

    def forward(self, img, img_metas=None, return_loss: bool = True, gt_semantic_seg=None):
        feats = self.backbone(img)
        self.autocast_dtypes.append(feats.dtype)
        logits = self.head(self.drop(F.relu(self.norm(feats.float()))))
        if return_loss:
            return {'loss_ce': F.cross_entropy(logits.float(), gt_semantic_seg)}
        return logits.argmax(1).tolist()

    def train_step(self, data_batch: dict, optimizer=None) -> dict:
        self.calls += 1
        loss = self(**data_batch)['loss_ce']
        if self.nan_from is not None and self.calls >= self.nan_from:
            loss = loss * float('nan')
        log_vars = OrderedDict(loss_ce=loss.detach(), loss=loss.detach())
        return {'loss': loss, 'log_vars': log_vars, 'num_samples': data_batch['img'].shape[0]}

    def val_step(self, data_batch: dict) -> dict:
        loss = self(**data_batch)['loss_ce']
        return {'loss': loss, 'log_vars': OrderedDict(loss=loss.item()), 'num_samples': data_batch['img'].shape[0]}


def make_loader(dataset: Optional[Dataset] = None, batch_size: int = 4, seed: Optional[int] = 0,
                shuffle: bool = True) -> DataLoader:
    generator = None if seed is None else torch.Generator().manual_seed(seed)
    return DataLoader(dataset or ToyDataset(), batch_size=batch_size, shuffle=shuffle, generator=generator)


def make_runner(work_dir, model: Optional[nn.Module] = None, max_iters: int = 20, lr: float = 0.1,
                **kwargs) -> IterBasedRunner:
    model = model or ToyModel()
    optimizer = build_optimizer(model, dict(type='SGD', lr=lr, momentum=0.9, weight_decay=1e-4))
    return IterBasedRunner(model, optimizer, work_dir=str(work_dir), logger=logging.getLogger('mmcv.test'),
                           max_iters=max_iters, **kwargs)


def seed_all(seed: int = 0) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
