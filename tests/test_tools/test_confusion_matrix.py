"""tools/confusion_matrix.py: counts of tools/test.py --out predictions against the labels, plot, JSON, CSV."""
import csv
import glob
import json
import os.path as osp
import pickle
import re
import warnings

import numpy as np
import pytest
from PIL import Image

from mmcv.fileio import dump, load
from mmseg.utils.confusion_matrix import row_percentages


def label_files(data_root: str) -> list:
    """The validation label maps in the dataset's order (sorted image names), read without the package."""
    return sorted(glob.glob(osp.join(data_root, 'annotations', 'validation', '*_manual1.png')))


def counts_by_hand(preds: list, data_root: str, num_classes: int = 2, ignore_index: int = 255) -> np.ndarray:
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    for pred, path in zip(preds, label_files(data_root)):
        gt = np.array(Image.open(path))
        for i in range(num_classes):
            for j in range(num_classes):
                counts[i, j] += int(np.sum((gt == i) & (pred == j) & (gt != ignore_index)))
    return counts


def random_predictions(data_root: str, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 2, size=np.array(Image.open(p)).shape, dtype=np.int64) for p in label_files(data_root)]


def run_tool(load_tool, *args):
    return load_tool('confusion_matrix').main([str(a) for a in args])


def test_counts_match_an_independent_count(load_tool, tiny_config, tiny_drive, tmp_path, capsys):
    preds = random_predictions(tiny_drive)
    pkl = tmp_path / 'results.pkl'
    dump(preds, pkl)
    expected = counts_by_hand(preds, tiny_drive)
    assert (expected > 0).all(), 'random predictions fill every cell'
    matrix = run_tool(load_tool, tiny_config, pkl, tmp_path / 'cm', '--title', 'Vessels', '--color-theme', 'viridis')
    np.testing.assert_array_equal(matrix, expected)
    saved = json.loads((tmp_path / 'cm' / 'confusion_matrix.json').read_text())
    assert saved['classes'] == ['background', 'vessel'] and saved['rows'] == 'ground truth'
    assert saved['counts'] == expected.tolist()
    percent = expected / expected.sum(axis=1, keepdims=True) * 100
    np.testing.assert_allclose(saved['percent_of_ground_truth'], percent, atol=1e-4)
    with open(tmp_path / 'cm' / 'confusion_matrix.csv') as f:
        rows = list(csv.reader(f))
    assert rows[0] == ['ground_truth\\prediction', 'background', 'vessel']
    assert [[int(v) for v in row[1:]] for row in rows[1:]] == expected.tolist()
    png = Image.open(tmp_path / 'cm' / 'confusion_matrix.png')
    assert png.format == 'PNG' and min(png.size) > 100
    assert 'rows: ground truth' in capsys.readouterr().out


@pytest.mark.slow
def test_reads_what_test_py_out_writes(load_tool, cli_state, tiny_config, tiny_checkpoint, tiny_drive, tmp_path):
    pkl = tmp_path / 'out.pkl'
    load_tool('test').main([tiny_config, tiny_checkpoint, '--out', str(pkl), '--work-dir', str(tmp_path / 'w')])
    preds = load(pkl)
    matrix = run_tool(load_tool, tiny_config, pkl, tmp_path / 'cm')
    np.testing.assert_array_equal(matrix, counts_by_hand(preds, tiny_drive))
    assert matrix.sum() == sum(p.size for p in preds)


def test_ignored_pixels_are_left_out(tiny_config, tiny_drive):
    from mmcv.config import Config
    from mmseg.datasets import build_dataset
    from mmseg.utils.confusion_matrix import dataset_confusion_matrix

    class Ignoring:
        """The dataset with the top half of every label map set to ignore_index."""

        def __init__(self, dataset):
            self.dataset = dataset
            self.CLASSES, self.ignore_index, self.img_infos = dataset.CLASSES, dataset.ignore_index, dataset.img_infos

        def __len__(self):
            return len(self.dataset)

        def get_gt_seg_map_by_idx(self, index):
            gt = self.dataset.get_gt_seg_map_by_idx(index).copy()
            gt[:gt.shape[0] // 2] = self.ignore_index
            return gt

    cfg = Config.fromfile(tiny_config)
    dataset = Ignoring(build_dataset(cfg.data.test))
    preds = random_predictions(tiny_drive, seed=1)
    matrix = dataset_confusion_matrix(dataset, preds)
    assert matrix.sum() == sum(p[p.shape[0] // 2:].size for p in preds)
    bottom = np.zeros((2, 2), dtype=np.int64)
    for pred, path in zip(preds, label_files(tiny_drive)):
        gt = np.array(Image.open(path))[pred.shape[0] // 2:]
        np.add.at(bottom, (gt.ravel(), pred[pred.shape[0] // 2:].ravel()), 1)
    np.testing.assert_array_equal(matrix, bottom)


@pytest.mark.parametrize('results, message', [
    ('one_missing', 'has 1 predictions but the test set of the config has 2 images'),
    ('not_a_list', 'holds a dict; expected a list of label maps'),
    ('wrong_shape', r'result 0 \(.*\.png\): prediction of shape \(3, 3\) does not match'),
    ('probabilities', 'expected a 2-D label map'),
])
def test_bad_predictions_exit_with_a_clear_message(results, message, load_tool, tiny_config, tiny_drive, tmp_path,
                                                   capsys):
    preds = random_predictions(tiny_drive)
    bad = dict(one_missing=preds[:1], not_a_list={'a': preds}, wrong_shape=[np.zeros((3, 3), np.int64)] * 2,
               probabilities=[np.zeros((2, 4, 4))] * 2)[results]
    pkl = tmp_path / 'bad.pkl'
    dump(bad, pkl)
    with pytest.raises(SystemExit) as exc:
        run_tool(load_tool, tiny_config, pkl, tmp_path / 'cm')
    assert str(pkl) in str(exc.value)
    assert re.search(message, str(exc.value)), str(exc.value)
    assert not (tmp_path / 'cm').exists() or not list((tmp_path / 'cm').iterdir())


def test_unknown_color_theme_and_missing_file(load_tool, tiny_config, tiny_drive, tmp_path):
    pkl = tmp_path / 'results.pkl'
    dump(random_predictions(tiny_drive), pkl)
    with pytest.raises(SystemExit, match="unknown --color-theme 'nope'"):
        run_tool(load_tool, tiny_config, pkl, tmp_path / 'cm', '--color-theme', 'nope')
    assert not (tmp_path / 'cm').exists()
    with pytest.raises(SystemExit, match='prediction file not found'):
        run_tool(load_tool, tiny_config, tmp_path / 'missing.pkl', tmp_path / 'cm')


def test_row_percentages_of_an_absent_class_are_nan():
    percent = row_percentages(np.array([[3, 1], [0, 0]]))
    np.testing.assert_allclose(percent[0], [75, 25])
    assert np.isnan(percent[1]).all()


class CodeOnUnpickle:
    """A crafted results file: unpickling it creates ``marker``."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return open, (self.marker, 'w')


def test_a_pickle_is_refused_and_runs_nothing(load_tool, tiny_config, tmp_path):
    marker = tmp_path / 'code_ran'
    pkl = tmp_path / 'results.pkl'
    pkl.write_bytes(pickle.dumps([CodeOnUnpickle(str(marker))]))
    with pytest.raises(SystemExit) as exc:
        run_tool(load_tool, tiny_config, pkl, tmp_path / 'cm')
    message = str(exc.value.code)
    assert message.startswith(f'error: cannot read {pkl}: it is a plain pickle') and '--unsafe-pickle' in message
    assert not marker.exists() and not (tmp_path / 'cm').exists()


def test_unsafe_pickle_reads_an_mmseg0x_results_file_with_a_warning(load_tool, tiny_config, tiny_drive, tmp_path):
    preds = random_predictions(tiny_drive, seed=2)
    pkl = tmp_path / 'mmseg0x_results.pkl'
    pkl.write_bytes(pickle.dumps(preds))  # what mmseg 0.x's tools/test.py --out wrote
    with pytest.warns(UserWarning, match='arbitrary code'):
        matrix = run_tool(load_tool, tiny_config, pkl, tmp_path / 'cm', '--unsafe-pickle')
    np.testing.assert_array_equal(matrix, counts_by_hand(preds, tiny_drive))


@pytest.mark.parametrize('content', [b'\x80\x04garbage', b'PK\x03\x04 cut short', b''], ids=['pickle', 'zip', 'empty'])
def test_corrupt_results_file_is_one_clear_error(load_tool, tiny_config, tmp_path, content):
    pkl = tmp_path / 'results.pkl'
    pkl.write_bytes(content)
    flags = ['--unsafe-pickle'] if content.startswith(b'\x80') else []
    with pytest.raises(SystemExit) as exc, warnings.catch_warnings():
        warnings.simplefilter('ignore')
        run_tool(load_tool, tiny_config, pkl, tmp_path / 'cm', *flags)
    message = str(exc.value.code)
    assert re.match(rf'error: cannot (read|unpickle) {re.escape(str(pkl))}: ', message) and '\n' not in message


def test_save_dir_that_cannot_be_a_folder_is_refused_before_reading(load_tool, tiny_config, tmp_path, monkeypatch):
    tool = load_tool('confusion_matrix')
    monkeypatch.setattr(tool, 'load', lambda *a, **k: pytest.fail('the results were read before SAVE_DIR was checked'))
    pkl = tmp_path / 'results.pkl'
    pkl.write_bytes(b'unused')
    (tmp_path / 'a_file').write_text('')
    with pytest.raises(SystemExit) as exc:
        tool.main([tiny_config, str(pkl), str(tmp_path / 'a_file')])
    assert str(exc.value.code).startswith(f'error: save_dir {tmp_path / "a_file"}: ') and 'a_file' in exc.value.code
