"""mmseg's evaluation hooks: mmseg's test loop (below mmseg.apis) with per-image records and FOV probabilities."""
import types

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

from mmseg.core import SegResult
from mmseg.core.evaluation import DistEvalHook, EvalHook


class FovDataset(Dataset):
    """Three 'images'; its records keep what the hook's test loop handed to ``pre_eval``."""
    fov_dir = 'masks'

    def __len__(self):
        return 3

    def __getitem__(self, idx):
        return dict(img=torch.full((1, 2, 2), float(idx)), img_metas=idx)

    def pre_eval(self, preds, indices):
        return [dict(index=i, has_prob=p.prob is not None) for p, i in zip(preds, indices)]

    def evaluate(self, results, logger=None, **kwargs):
        self.results = results
        return dict(mDice=1.0)


class Segmentor(nn.Module):
    def __init__(self):
        super().__init__()
        self.calls = []

    def forward(self, img, img_metas, return_loss=True, **options):
        self.calls.append(options)
        prob = np.full((2, 2), 0.5, np.float16) if options.get('return_prob') else None
        return [SegResult(np.zeros((2, 2), np.uint8), prob=prob) for _ in range(img.shape[0])]


def run_hook(hook_cls, **kwargs):
    dataset, model = FovDataset(), Segmentor()
    hook = hook_cls(DataLoader(dataset, batch_size=2), interval=1, **kwargs)
    runner = types.SimpleNamespace(model=model, logger=None, work_dir=None, meta={}, iter=0,
                                   log_buffer=types.SimpleNamespace(clear_output=lambda: None, output={}, ready=False),
                                   call_hook=lambda name: None)
    assert hook.evaluate(runner) == dict(mDice=1.0)
    return dataset, model


def test_eval_hook_scores_per_image_records_with_probabilities_for_the_fov_auc():
    dataset, model = run_hook(EvalHook, metric='mDice')
    assert dataset.results == [dict(index=i, has_prob=True) for i in range(3)]
    assert model.calls == [dict(rescale=True, return_prob=True)] * 2


def test_dist_eval_hook_in_one_process_collects_the_same_records():
    dataset, _ = run_hook(DistEvalHook, metric='mDice')
    assert dataset.results == [dict(index=i, has_prob=True) for i in range(3)]
