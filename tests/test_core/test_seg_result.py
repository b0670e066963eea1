"""SegResult, the one result type from segmentor to evaluation: checks, plain label maps, results files."""
import types

import numpy as np
import pytest

from mmcv.fileio import dump, load
from mmseg.core import SegResult, as_seg_result
from mmseg.core.evaluation.test_loop import forward_options


def test_results_files_read_back_as_seg_results(tmp_path):
    label = np.array([[0, 1], [1, 0]], np.uint8)
    results = [SegResult(label, prob=np.full((2, 2), 0.75, np.float16)), SegResult(label.astype(np.int64)),
               SegResult(label, fov=np.ones((2, 2), np.uint8))]
    path = tmp_path / 'results.pkl'
    dump(results, path)  # what collect_results_cpu does with each rank's part
    loaded = load(path)
    assert [type(r) for r in loaded] == [SegResult] * 3
    for before, after in zip(results, loaded):
        for field in ('label_map', 'prob', 'fov'):
            value = getattr(before, field)
            if value is None:
                assert getattr(after, field) is None
            else:
                np.testing.assert_array_equal(getattr(after, field), value)
                assert getattr(after, field).dtype == value.dtype


def test_a_plain_label_map_is_a_result_without_probabilities():
    label = np.zeros((3, 4), np.int64)
    result = as_seg_result(label)
    assert result.label_map is label and result.prob is None and result.fov is None
    assert as_seg_result(result) is result


@pytest.mark.parametrize('pred, message', [
    (np.zeros((2, 3, 4)), r'image 5 is ndarray of shape \(2, 3, 4\); expected a 2-D label map \(numpy array\) or a '),
    ({'pred': np.zeros((2, 2)), 'prob': np.zeros((2, 2))}, r"is dict; .* SegResult\(label_map=d\['pred'\]"),
    ([[0, 1]], 'is list; expected'),
])
def test_anything_else_is_a_clear_type_error(pred, message):
    with pytest.raises(TypeError, match=message):
        as_seg_result(pred, 'image 5')


def test_fields_are_checked_when_built():
    with pytest.raises(TypeError, match='label_map must be a 2-D numpy array, got list'):
        SegResult([[0, 1]])
    with pytest.raises(ValueError, match=r'SegResult.fov must be None or an array of the label map\'s shape \(2, 2\)'):
        SegResult(np.zeros((2, 2)), fov=np.zeros((2, 3)))


@pytest.mark.parametrize('fov_dir, pre_eval, return_prob, expected', [
    ('masks', True, False, True), ('masks', False, True, True), ('masks', False, False, False),
    (None, True, True, False)])
def test_probabilities_are_asked_for_only_where_the_fov_auc_scores_them(fov_dir, pre_eval, return_prob, expected):
    dataset = types.SimpleNamespace(fov_dir=fov_dir)
    assert forward_options(dataset, pre_eval, return_prob) == dict(rescale=True, return_prob=expected)
