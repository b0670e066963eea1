import pytest
import torch

from mmcv.runner import LogBuffer


def test_average_is_weighted_by_count_and_mixes_floats_and_tensors():
    buffer = LogBuffer()
    buffer.update({'loss': torch.tensor(1.0), 'time': 0.5}, count=1)
    buffer.update({'loss': torch.tensor(4.0), 'time': 1.5}, count=3)
    buffer.update({'loss': 2.0}, count=4)
    buffer.average()
    assert buffer.ready
    assert buffer.output['loss'] == pytest.approx((1 + 12 + 8) / 8)
    assert buffer.output['time'] == pytest.approx((0.5 + 4.5) / 4)
    assert all(isinstance(v, float) for v in buffer.output.values())


def test_each_average_covers_the_values_since_the_previous_one():
    buffer = LogBuffer()
    buffer.update({'loss': torch.tensor(10.0)})
    buffer.average()
    buffer.clear_output()
    buffer.update({'loss': torch.tensor(2.0)})
    buffer.average()
    assert buffer.output == {'loss': 2.0}


def test_tensors_are_kept_without_their_graph():
    buffer = LogBuffer()
    weight = torch.ones((), requires_grad=True)
    buffer.update({'loss': weight * 3})
    (stored, _), = buffer._history['loss']
    assert not stored.requires_grad


def test_clear_forgets_everything():
    buffer = LogBuffer()
    buffer.update({'loss': 1.0})
    buffer.average()
    buffer.clear()
    assert buffer.output == {} and not buffer.ready
    buffer.average()
    assert buffer.output == {}
