"""tools/test.py: evaluation JSON, saved predictions, overlays, augmented test and clear refusals."""
import glob
import logging
import os
import os.path as osp
import pickle
import re

import numpy as np
import pytest

from mmcv.fileio import load
from mmcv.image import imread

pytestmark = pytest.mark.usefixtures('cli_state')

NUM_TEST_IMAGES = 2  # the tiny DRIVE set's validation split


@pytest.fixture
def tester(load_tool):
    return load_tool('test')


def only_eval_json(work_dir, kind: str) -> dict:
    found = glob.glob(osp.join(work_dir, f'eval_{kind}_*.json'))
    assert len(found) == 1, f'expected one eval_{kind}_*.json in {work_dir}, found {found}'
    return load(found[0])


def validation_images(data_root: str) -> list:
    folder = osp.join(data_root, 'images', 'validation')
    return [osp.join(folder, name) for name in sorted(os.listdir(folder))]


def test_eval_prints_table_and_writes_json(tester, tiny_config, tiny_checkpoint, tmp_path, caplog):
    # caplog, not capfd: the 'mmseg' logger may already write to the stderr of an earlier test
    with caplog.at_level(logging.INFO, logger='mmseg'):
        tester.main([tiny_config, tiny_checkpoint, '--eval', 'mDice', '--work-dir', str(tmp_path)])
    assert '| mDice |' in caplog.text and '|   vessel   |' in caplog.text
    record = only_eval_json(tmp_path, 'single_scale')
    # outside the project and the work dir: base names, never this machine's absolute paths
    assert record['checkpoint'] == osp.basename(tiny_checkpoint) and record['config'] == osp.basename(tiny_config)
    assert 0.0 <= record['metric']['mDice'] <= 1.0
    assert 0.0 <= record['metric']['Dice.vessel'] <= 1.0


@pytest.mark.parametrize('name', ['results.pkl', 'results.npz'])
def test_out_writes_one_prediction_per_image_in_a_file_that_is_not_a_pickle(tester, tiny_config, tiny_checkpoint,
                                                                            tiny_drive, tmp_path, name):
    out = tmp_path / name  # mmseg 0.x's command line (.pkl) still works; the content is a safe .npz archive
    tester.main([tiny_config, tiny_checkpoint, '--out', str(out), '--work-dir', str(tmp_path)])
    with pytest.raises(pickle.UnpicklingError), open(out, 'rb') as f:
        pickle.load(f)
    results = load(out)
    with np.load(out, allow_pickle=False) as npz:
        np.testing.assert_array_equal(npz['arr_0'], results[0])
    images = validation_images(tiny_drive)
    assert len(results) == len(images) == NUM_TEST_IMAGES
    for pred, img_file in zip(results, images):
        assert isinstance(pred, np.ndarray) and pred.shape == imread(img_file).shape[:2]
        assert set(np.unique(pred)) <= {0, 1}
    assert not glob.glob(str(tmp_path / 'eval_*.json')), 'no --eval, no metrics file'


def test_out_with_eval_scores_like_eval_alone(tester, tiny_config, tiny_checkpoint, tmp_path):
    """Keeping raw predictions for --out must not lose the probability-based FOV AUC of --eval."""
    tester.main([tiny_config, tiny_checkpoint, '--eval', 'mDice', '--work-dir', str(tmp_path / 'eval')])
    out = tmp_path / 'both' / 'results.pkl'
    tester.main([tiny_config, tiny_checkpoint, '--eval', 'mDice', '--out', str(out),
                    '--work-dir', str(tmp_path / 'both')])
    alone, both = only_eval_json(tmp_path / 'eval', 'single_scale'), only_eval_json(out.parent, 'single_scale')
    assert both['metric'] == pytest.approx(alone['metric'], abs=1e-9)
    assert 0.0 <= both['metric']['fov.AUC'] <= 1.0
    assert all(isinstance(pred, np.ndarray) and pred.dtype == np.int64 for pred in load(out))


def test_show_dir_writes_one_overlay_per_image(tester, tiny_config, tiny_checkpoint, tiny_drive, tmp_path):
    show_dir = tmp_path / 'show'
    tester.main([tiny_config, tiny_checkpoint, '--show-dir', str(show_dir), '--work-dir', str(tmp_path)])
    images = validation_images(tiny_drive)
    overlays = [str(show_dir / (osp.splitext(osp.basename(f))[0] + '.png')) for f in images]
    assert sorted(show_dir.iterdir()) == sorted(map(type(show_dir), overlays))
    for overlay, img_file in zip(overlays, images):
        assert imread(overlay).shape == imread(img_file).shape


def test_eval_option_beta_weights_recall_in_mfscore(tester, tiny_config, tiny_checkpoint, tmp_path):
    tester.main([tiny_config, tiny_checkpoint, '--eval', 'mFscore', '--eval-options', 'beta=2',
                 '--work-dir', str(tmp_path)])
    record = only_eval_json(tmp_path, 'single_scale')
    metric = record['metric']
    scored = 0
    for name in ('background', 'vessel'):
        precision, recall = metric[f'Precision.{name}'], metric[f'Recall.{name}']
        if not (np.isfinite(precision) and np.isfinite(recall) and precision != recall):
            continue  # a class where F2 = F1: says nothing about beta
        assert metric[f'Fscore.{name}'] == pytest.approx(5 * precision * recall / (4 * precision + recall))
        assert metric[f'Fscore.{name}'] != pytest.approx(2 * precision * recall / (precision + recall))
        scored += 1
    assert scored, f'no class with precision != recall in {metric}'
    assert record['eval_options'] == {'beta': 2}


@pytest.mark.slow
def test_aug_test_evaluates_with_flip_and_scales(tester, tiny_config, tiny_checkpoint, tmp_path):
    tester.main([tiny_config, tiny_checkpoint, '--aug-test', '--eval', 'mDice', '--work-dir', str(tmp_path)])
    assert 0.0 <= only_eval_json(tmp_path, 'multi_scale')['metric']['mDice'] <= 1.0


def test_missing_checkpoint_is_a_clear_error(tester, tiny_config, tmp_path):
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(SystemExit) as err:
        tester.main([tiny_config, missing, '--eval', 'mDice', '--work-dir', str(tmp_path)])
    assert err.value.code == f'checkpoint not found: {missing}'  # a message exits with status 1


def test_no_operation_is_a_clear_error(tester, tiny_config, tiny_checkpoint, tmp_path):
    with pytest.raises(SystemExit) as err:
        tester.main([tiny_config, tiny_checkpoint, '--work-dir', str(tmp_path)])
    assert 'Please specify at least one operation' in str(err.value.code)
    assert '"--eval"' in err.value.code and '"--out"' in err.value.code
    assert not os.listdir(tmp_path)


def foreign_checkpoint(tmp_path) -> str:
    """A torchvision ResNet-18 state_dict: a real checkpoint, of another model (no key matches)."""
    import torch
    import torchvision
    path = str(tmp_path / 'resnet18.pth')
    torch.save(torchvision.models.resnet18().state_dict(), path)
    return path


def edited_checkpoint(source: str, path: str, edit) -> str:
    """A copy of ``source`` whose state_dict went through ``edit`` (in place)."""
    import torch
    ckpt = torch.load(source, map_location='cpu', weights_only=True)
    edit(ckpt['state_dict'])
    torch.save(ckpt, path)
    return path


def test_checkpoint_of_another_model_is_refused(tester, tiny_config, tmp_path):
    checkpoint = foreign_checkpoint(tmp_path)
    with pytest.raises(RuntimeError) as info:
        tester.main([tiny_config, checkpoint, '--eval', 'mDice', '--work-dir', str(tmp_path)])
    message = str(info.value)
    assert f'cannot load {checkpoint}: it does not cover the model' in message and '--partial-load' in message
    assert re.search(r"0 of the model's \d+ keys load; \d+ missing, 122 unexpected", message)
    assert 'missing keys: backbone.conv1.weight' in message and 'model.backbone.init_cfg' in message
    assert not glob.glob(str(tmp_path / 'eval_*.json'))


def test_partial_load_tests_a_checkpoint_that_holds_some_weights(tester, tiny_config, tiny_checkpoint, tmp_path):
    def drop_head(state):
        for key in [k for k in state if k.startswith('decode_head.')]:
            del state[key]

    checkpoint = edited_checkpoint(tiny_checkpoint, str(tmp_path / 'backbone_only.pth'), drop_head)
    with pytest.raises(RuntimeError, match='missing keys: decode_head.'):
        tester.main([tiny_config, checkpoint, '--eval', 'mDice', '--work-dir', str(tmp_path)])
    tester.main([tiny_config, checkpoint, '--eval', 'mDice', '--work-dir', str(tmp_path), '--partial-load'])
    assert 0.0 <= only_eval_json(tmp_path, 'single_scale')['metric']['mDice'] <= 1.0


def test_checkpoint_with_nonfinite_weights_is_refused(tester, tiny_config, tiny_checkpoint, tmp_path):
    def break_bn(state):
        state['backbone.bn1.running_var'][0] = float('inf')

    checkpoint = edited_checkpoint(tiny_checkpoint, str(tmp_path / 'diverged.pth'), break_bn)
    with pytest.raises(FloatingPointError) as info:
        tester.main([tiny_config, checkpoint, '--eval', 'mDice', '--work-dir', str(tmp_path)])
    assert f'checkpoint {checkpoint}: NaN or Inf values in 1 tensor(s): backbone.bn1.running_var' in str(info.value)
    assert not glob.glob(str(tmp_path / 'eval_*.json'))


def test_slide_stride_larger_than_the_window_is_refused_before_inference(tester, tiny_config, tiny_checkpoint,
                                                                         tmp_path, monkeypatch):
    import mmseg.apis.testing as testing
    monkeypatch.setattr(testing, 'build_test_loader', lambda *a, **k: pytest.fail('the test data was loaded'))
    with pytest.raises(ValueError, match=r'test_cfg.stride \(24, 24\) is larger than test_cfg.crop_size \(16, 16\)'):
        tester.main([tiny_config, tiny_checkpoint, '--eval', 'mDice', '--work-dir', str(tmp_path), '--cfg-options',
                     'model.test_cfg.mode=slide', 'model.test_cfg.crop_size=16', 'model.test_cfg.stride=24'])
    assert not glob.glob(str(tmp_path / 'eval_*.json'))


def test_format_only_writes_label_pngs_to_imgfile_prefix(tester, tiny_config, tiny_checkpoint, tiny_drive, tmp_path):
    prefix, out = tmp_path / 'pngs', tmp_path / 'results.pkl'
    tester.main([tiny_config, tiny_checkpoint, '--format-only', '--eval-options', f'imgfile_prefix={prefix}',
                 '--out', str(out), '--work-dir', str(tmp_path / 'w')])
    images = validation_images(tiny_drive)
    assert sorted(os.listdir(prefix)) == sorted(osp.basename(f) for f in images)
    for pred, img_file in zip(load(out), images):
        np.testing.assert_array_equal(imread(str(prefix / osp.basename(img_file)), flag='unchanged'), pred)
    assert not glob.glob(str(tmp_path / 'w' / 'eval_*.json'))


def test_eval_json_holds_per_image_figures_that_match_the_saved_predictions(tester, tiny_config, tiny_checkpoint,
                                                                             tiny_drive, tmp_path):
    """per_image: one entry per test image, recomputed here from the --out label maps, the labels and FOV masks."""
    from scipy import ndimage
    from skimage.morphology import skeletonize

    from mmseg.datasets import DRIVEDataset
    out = tmp_path / 'results.npz'
    tester.main([tiny_config, tiny_checkpoint, '--eval', 'mDice', '--out', str(out), '--work-dir', str(tmp_path)])
    record = only_eval_json(tmp_path, 'single_scale')
    dataset = DRIVEDataset(pipeline=[], data_root=tiny_drive, img_dir='images/validation',
                           ann_dir='annotations/validation', fov_dir='masks/validation', test_mode=True)
    entries = record['per_image']
    assert [e['image'] for e in entries] == [osp.basename(f) for f in validation_images(tiny_drive)]
    for i, (entry, pred) in enumerate(zip(entries, load(out))):
        gt, inside = dataset.get_gt_seg_map_by_idx(i), dataset.get_fov_mask_by_idx(i) > 0
        assert set(entry) == {'image', 'Dice.vessel', 'fov.Se', 'fov.Sp', 'fov.Acc', 'fov.AUC', 'fov.F1',
                              'fov.clDice', 'fov.components_pred', 'fov.components_label'}
        p, g = pred == 1, gt == 1
        assert entry['Dice.vessel'] == pytest.approx(2 * (p & g).sum() / (p.sum() + g.sum()))
        p, g = p & inside, g & inside
        assert entry['fov.Se'] == pytest.approx((p & g).sum() / g.sum())
        assert entry['fov.components_label'] == ndimage.label(g, structure=np.ones((3, 3)))[1]
        assert entry['fov.components_pred'] == ndimage.label(p, structure=np.ones((3, 3)))[1]
        sp, sg = skeletonize(p), skeletonize(g)
        if sp.any():
            tprec, tsens = (sp & g).sum() / sp.sum(), (sg & p).sum() / sg.sum()
            expected = 2 * tprec * tsens / (tprec + tsens) if tprec + tsens else 0.0
        else:
            expected = 0.0
        assert entry['fov.clDice'] == pytest.approx(expected)
    assert 0.0 <= record['metric']['fov.clDice'] <= 1.0
