"""tools/cross_validate.py: folds that partition the images, fold configs that build, runs that resume, one report."""
import json
import os.path as osp

import pytest

from mmcv.config import Config
from mmseg.apis.cross_validation import make_folds, summarize
from mmseg.datasets import build_dataset

pytestmark = pytest.mark.usefixtures('cli_state')


@pytest.fixture
def cv_tool(load_tool):
    return load_tool('cross_validate')


def _names(dataset):
    """'<image folder>/<file name>' of every image of a (Repeat/Concat) dataset."""
    dataset = getattr(dataset, 'dataset', dataset)
    return sorted(f'{osp.basename(d.img_dir)}/{info["filename"]}' for d in getattr(dataset, 'datasets', [dataset])
                  for info in d.img_infos)


def test_folds_partition_the_images_and_are_seeded():
    images = [('train', f'{i:02d}') for i in range(7)]
    folds = make_folds(images, 3, split_seed=0)
    assert sorted(i for fold in folds for i in fold) == sorted(images) and [len(f) for f in folds] == [3, 2, 2]
    assert make_folds(images, 3, split_seed=0) == folds and make_folds(images, 3, split_seed=1) != folds
    assert [len(f) for f in make_folds(images, None)] == [1] * 7  # leave-one-out
    with pytest.raises(ValueError, match='from 2 to the number of images'):
        make_folds(images, 8)


def test_pooled_folds_train_and_validate_on_disjoint_images(cv_tool, tiny_config, tmp_path, capsys):
    cv_tool.main([tiny_config, '--folds', '2', '--pool', '--work-dir', str(tmp_path), '--dry-run'])
    printed = capsys.readouterr().out
    assert '2 folds of 4 images (training and validation splits pooled)' in printed
    assert printed.count('tools/train.py') == 2 and printed.count('tools/test.py') == 2
    seen = []
    for k in range(2):
        cfg = Config.fromfile(str(tmp_path / f'fold_{k}' / 'config.py'))
        train, val = build_dataset(cfg.data.train), build_dataset(cfg.data.val, dict(test_mode=True))
        train_names, val_names = _names(train), _names(val)
        assert not set(train_names) & set(val_names) and len(train_names) + len(val_names) == 4
        assert len(train) == 10 * len(train_names)  # the RepeatDataset of the config is kept
        for d in getattr(val, 'datasets', [val]):
            assert d.fov_dir is not None and len(d) == len(list(d.get_gt_seg_maps()))
        seen += val_names
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 4
    folds = json.loads((tmp_path / 'folds' / 'folds.json').read_text())
    assert folds['pool'] is True and sum(len(v) for v in folds['folds'].values()) == 4


def test_nothing_to_do_and_bad_folds_are_refused(cv_tool, tiny_config, tmp_path, capsys):
    with pytest.raises(SystemExit):
        cv_tool.main([tiny_config])
    assert 'give --folds K, --leave-one-out or --seeds' in capsys.readouterr().err
    with pytest.raises(SystemExit, match='--folds must be an int from 2 to the number of images \\(2\\)'):
        cv_tool.main([tiny_config, '--folds', '3', '--work-dir', str(tmp_path)])


def test_summary_gives_mean_spread_and_pooled_rows():
    evals = {'fold_0': dict(metric={'mDice': 0.8, 'fov.AUC': 0.9}, per_image=[dict(image='a', **{'Dice.vessel': 0.7})]),
             'fold_1': dict(metric={'mDice': 0.9, 'fov.AUC': 0.95}, per_image=[dict(image='b', **{'Dice.vessel': 0.8})])}
    summary = summarize(evals)
    assert summary['stats']['mDice']['mean'] == pytest.approx(0.85)
    assert summary['stats']['mDice']['std'] == pytest.approx(0.0707107, rel=1e-5)
    assert [row['run'] for row in summary['per_image']] == ['fold_0', 'fold_1']
    assert summary['per_image_stats']['Dice.vessel']['mean'] == pytest.approx(0.75)


@pytest.mark.slow
def test_two_folds_train_test_report_and_resume(cv_tool, tiny_config, tmp_path, capsys):
    argv = [tiny_config, '--folds', '2', '--pool', '--work-dir', str(tmp_path), '--',
            '--cfg-options', 'runner.max_iters=2', 'evaluation.interval=2', 'checkpoint_config.interval=2']
    cv_tool.main(argv)
    out = capsys.readouterr().out
    report = json.loads((tmp_path / 'cv_report.json').read_text())
    assert set(report['runs']) == {'fold_0', 'fold_1'} and len(report['per_image']) == 4
    assert report['protocol'] == '2-fold over the pooled training and validation splits (split seed 0)'
    assert report['provenance']['git']['commit'] and report['provenance']['config']['sha256']
    assert all(len(report['checkpoints'][run]['sha256']) == 64 for run in ('fold_0', 'fold_1'))
    assert 'mean' in out and 'spread (std)' in out
    cv_tool.main(argv)  # finished folds are not trained again
    again = capsys.readouterr().out
    assert again.count('done, not run again') == 2 and 'tools/train.py' not in again
