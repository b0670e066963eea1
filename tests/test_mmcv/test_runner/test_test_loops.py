"""The test loops shared by the evaluation hooks and the test APIs: per-batch records, model options, callbacks."""
import pytest
import torch.nn as nn
from torch.utils.data import DataLoader

from mmcv.runner import multi_gpu_test, single_gpu_test

from .toy import ToyDataset


class RecordingDataset(ToyDataset):
    """``pre_eval`` gives one small record per sample: its index and the prediction."""

    def pre_eval(self, outputs, indices):
        return [dict(index=i, pred=p) for p, i in zip(outputs, indices)]


class EchoModel(nn.Module):
    """Predicts each sample's index (from its meta), remembering the options of each call."""

    def __init__(self):
        super().__init__()
        self.options = []

    def forward(self, img, img_metas, return_loss=True, gt_semantic_seg=None, **options):
        assert not return_loss
        self.options.append(options)
        return [int(i) for i in img_metas['idx']]


def test_pre_eval_turns_each_batch_into_records_of_the_right_samples():
    loader = DataLoader(RecordingDataset(size=11), batch_size=4, shuffle=False)
    model = EchoModel()
    records = single_gpu_test(model, loader, pre_eval=True, forward_kwargs=dict(rescale=True))
    assert records == [dict(index=i, pred=i) for i in range(11)]
    assert model.options == [dict(rescale=True)] * 3


def test_on_batch_sees_outputs_batch_and_indices_before_pre_eval():
    loader = DataLoader(RecordingDataset(size=5), batch_size=2, shuffle=False)
    seen = []
    results = single_gpu_test(EchoModel(), loader, pre_eval=True,
                              on_batch=lambda outputs, batch, indices: seen.append((outputs, batch['img'].shape[0],
                                                                                    indices)))
    assert seen == [([0, 1], 2, [0, 1]), ([2, 3], 2, [2, 3]), ([4], 1, [4])]
    assert [r['index'] for r in results] == list(range(5))


def test_without_options_the_loop_keeps_the_raw_outputs():
    loader = DataLoader(ToyDataset(size=6), batch_size=4, shuffle=False)
    assert single_gpu_test(EchoModel(), loader) == list(range(6))
    assert multi_gpu_test(EchoModel(), loader) == list(range(6))  # one process: rank 0 of 1


def test_pre_eval_needs_the_sample_indices_and_says_so_before_predicting():
    model = EchoModel()
    loader = DataLoader(RecordingDataset(size=3), batch_size=None)
    with pytest.raises(ValueError, match='batch sampler'):
        single_gpu_test(model, loader, pre_eval=True)
    assert model.options == []
