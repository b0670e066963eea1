"""The second observer scored against the first: figures computed independently from the label files."""
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest

from mmseg.apis.observer import score_second_observer

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _expected_vessel_dice(root, names, first, second):
    inter = total = 0
    for name in names:
        a = cv2.imread(osp.join(root, 'annotations', 'validation', name + first), cv2.IMREAD_UNCHANGED) > 0
        b = cv2.imread(osp.join(root, 'annotations', 'validation', name + second), cv2.IMREAD_UNCHANGED) > 0
        inter += np.logical_and(a, b).sum()
        total += a.sum() + b.sum()
    return 2 * inter / total


@pytest.mark.parametrize('dataset,cls,names,first,second', [
    ('STARE', 'STAREDataset', ['im0081', 'im0082'], '.ah.png', '.vk.png'),
    ('DRIVE', 'DRIVEDataset', None, '_manual1.png', '_manual2.png'),
])
def test_second_observer_dice_matches_a_count_from_the_files(retinal_tree, dataset, cls, names, first, second):
    root = retinal_tree(dataset, num_val=2)
    if names is None:
        names = sorted(f[:-len(first)] for f in os.listdir(osp.join(root, 'annotations', 'validation'))
                       if f.endswith(first))
    cfg = dict(type=cls, data_root=root, img_dir='images/validation', ann_dir='annotations/validation',
               fov_dir='masks/validation', pipeline=[dict(type='LoadImageFromFile')], test_mode=True)
    figures = score_second_observer(cfg)
    expected = _expected_vessel_dice(root, names, first, second)
    assert expected < 0.999  # the fake second observer disagrees in a band, so the test can fail
    assert figures['Dice.vessel'] == pytest.approx(expected, abs=1e-6)
    assert 'fov.Se' in figures and figures['fov.Sp'] <= 1.0


def test_a_set_without_second_observer_is_refused(retinal_tree):
    root = retinal_tree('HRF')
    cfg = dict(type='HRFDataset', data_root=root, img_dir='images/validation', ann_dir='annotations/validation',
               pipeline=[dict(type='LoadImageFromFile')], test_mode=True)
    with pytest.raises(ValueError, match='no second observer'):
        score_second_observer(cfg)


@pytest.mark.slow
def test_cli_writes_json(retinal_tree, tmp_path):
    root = retinal_tree('STARE', num_val=2)
    out = tmp_path / 'observer.json'
    subprocess.run([sys.executable, osp.join(ROOT, 'tools', 'score_observer.py'),
                    osp.join(ROOT, 'configs', 'unet++', 'unet++_r34_8k_stare_cpu.py'), '--out', str(out),
                    '--cfg-options', f'data.test.data_root={root}'], check=True, cwd=ROOT, capture_output=True)
    written = json.loads(out.read_text())
    assert 0 < written['Dice.vessel'] < 1
    assert len(written['provenance']['git']['commit']) == 40  # a result names the commit that produced it
