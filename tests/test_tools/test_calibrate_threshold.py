"""tools/calibrate_threshold.py: the F1-best threshold on the training images, stored in a new checkpoint and used
by test_cfg.threshold='calibrated'."""
import glob
import json
import os.path as osp

import numpy as np
import pytest

from mmcv.checkpoint import _load_checkpoint
from mmcv.config import Config
from mmseg.apis import inference_segmentor, init_segmentor
from mmseg.apis.calibration import f1_curve

pytestmark = pytest.mark.usefixtures('cli_state')


def test_f1_curve_counts_pixels_above_each_edge():
    vessel = np.array([0, 1, 3, 6])       # 4 bins: vessel pixels mostly high
    background = np.array([8, 4, 1, 1])
    thresholds, f1 = f1_curve(vessel, background)
    assert list(thresholds) == [0, 0.25, 0.5, 0.75]
    # t = 0.5: tp = 9, fp = 2, fn = 1 -> 18 / 21
    assert f1[2] == pytest.approx(18 / 21) and int(np.argmax(f1)) == 2
    assert f1[0] == pytest.approx(2 * 10 / (2 * 10 + 14))


def _brute_force_f1(config, checkpoint, threshold):
    """F1 over the training images (inside their FOV masks) from probabilities predicted one by one."""
    cfg = Config.fromfile(config)
    model = init_segmentor(cfg, checkpoint)
    root = cfg.data.train.dataset.data_root
    tp = fp = fn = 0
    for path in sorted(glob.glob(osp.join(root, 'images', 'training', '*.png'))):
        name = osp.basename(path)[:-4]
        prob = inference_segmentor(model, path, return_prob=True)[0].prob.astype(np.float32)
        from mmcv.image import imread
        gt = imread(osp.join(root, 'annotations', 'training', f'{name}_manual1.png'), flag='unchanged') > 0
        fov = imread(osp.join(root, 'masks', 'training', f'{name}_mask.png'), flag='unchanged') > 0
        pred = prob >= threshold
        tp += int((pred & gt & fov).sum())
        fp += int((pred & ~gt & fov).sum())
        fn += int((~pred & gt & fov).sum())
    return 2 * tp / (2 * tp + fp + fn)


def test_calibrated_threshold_is_stored_and_used(load_tool, tiny_config, tiny_checkpoint, tmp_path, capsys, caplog):
    out = tmp_path / 'calibrated.pth'
    load_tool('calibrate_threshold').main([tiny_config, tiny_checkpoint, '--out', str(out), '--bins', '100'])
    found = _load_checkpoint(str(out))['meta']['threshold']
    assert found['source'] == 'the 2 training images' and found['bins'] == 100
    assert f"threshold {found['value']:.4f}" in capsys.readouterr().out
    # the stored F1 is what thresholding the probabilities there gives, and no bin edge does better
    assert found['f1'] == pytest.approx(_brute_force_f1(tiny_config, tiny_checkpoint, found['value']), abs=2e-3)
    assert found['f1'] >= found['f1_at_0.5'] - 1e-12
    assert 'threshold' not in _load_checkpoint(tiny_checkpoint).get('meta', {})  # the input is untouched

    tester = load_tool('test')
    with caplog.at_level('INFO', logger='mmseg'):
        tester.main([tiny_config, str(out), '--eval', 'mDice', '--work-dir', str(tmp_path / 'eval'),
                     '--cfg-options', 'model.test_cfg.threshold=calibrated'])
    assert f"test_cfg.threshold='calibrated': {found['value']:.4f}" in caplog.text
    assert json.loads(open(glob.glob(str(tmp_path / 'eval' / '*.json'))[0]).read())['metric']['mDice'] > 0
    with pytest.raises(ValueError, match='holds no calibrated threshold: run python tools/calibrate_threshold.py'):
        tester.main([tiny_config, tiny_checkpoint, '--eval', 'mDice', '--work-dir', str(tmp_path / 'eval2'),
                     '--cfg-options', 'model.test_cfg.threshold=calibrated'])


def test_a_fixed_threshold_labels_above_it(tiny_config, tiny_checkpoint, tiny_drive):
    cfg = Config.fromfile(tiny_config)
    path = sorted(glob.glob(osp.join(tiny_drive, 'images', 'validation', '*.png')))[0]
    cfg.model.test_cfg = dict(mode='whole', threshold=0.3)
    result = inference_segmentor(init_segmentor(cfg, tiny_checkpoint), path, return_prob=True)[0]
    # prob is stored as float16: compare away from the threshold, where rounding cannot flip a pixel
    prob = result.prob.astype(np.float32)
    clear = np.abs(prob - 0.3) > 1e-3
    assert np.array_equal(result.label_map[clear] == 1, prob[clear] >= 0.3) and clear.mean() > 0.5
    with pytest.raises(ValueError, match=r"test_cfg.threshold must be a number in \(0, 1\)"):
        cfg.model.test_cfg = dict(mode='whole', threshold=1.5)
        init_segmentor(cfg, tiny_checkpoint)
