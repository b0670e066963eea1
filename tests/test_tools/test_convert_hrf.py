"""tools/convert_datasets/hrf.py on synthetic HRF zips (the real set is not available here)."""
import os
import os.path as osp
import zipfile

import numpy as np
import pytest

from mmcv.image import imread
from mmseg.utils.synthetic_sets import make_synthetic_hrf


@pytest.fixture(scope='module')
def zips(tmp_path_factory):
    return make_synthetic_hrf(str(tmp_path_factory.mktemp('hrf')), size=(120, 80), seed=3)


@pytest.fixture
def tool(load_tool):
    return load_tool('convert_datasets/hrf')


def _args(zips):
    """The six positional arguments in mmseg 0.x's order: images, labels of each set in turn."""
    return [path for pair in zip(zips['images'], zips['labels']) for path in pair]


def _tree(root):
    return sorted(osp.relpath(osp.join(d, f), root) for d, _, files in os.walk(root) for f in files)


def test_official_names_and_case(zips):
    assert [osp.basename(p) for p in _args(zips)] == [
        'healthy.zip', 'healthy_manualsegm.zip', 'glaucoma.zip', 'glaucoma_manualsegm.zip',
        'diabetic_retinopathy.zip', 'diabetic_retinopathy_manualsegm.zip']
    assert '01_dr.JPG' in zipfile.ZipFile(zips['images'][2]).namelist()
    assert '15_g_mask.tif' in zipfile.ZipFile(zips['masks'][1]).namelist()


@pytest.mark.slow
@pytest.mark.parametrize('official_masks', [True, False])
def test_converts_the_official_layout(tool, zips, tmp_path, capsys, official_masks):
    out = tmp_path / 'HRF'
    extra = ['--fov-masks', *zips['masks']] if official_masks else []
    assert tool.main([*_args(zips), '-o', str(out), *extra]) == 0
    files = _tree(out)
    assert len(files) == 45 * 3
    for tag in ('h', 'g', 'dr'):
        for n in range(1, 16):
            split = 'training' if n <= 5 else 'validation'
            for folder, suffix in (('images', '.png'), ('annotations', '.png'), ('masks', '_mask.png')):
                assert f'{folder}/{split}/{n:02d}_{tag}{suffix}' in files
    for name in files:
        if not name.startswith('images'):
            assert set(np.unique(imread(out / name, flag='unchanged'))) == {0, 1}, name
    printed = capsys.readouterr().out
    assert 'training: 15 images, 15 labels, 15 FOV masks' in printed and 'validation: 30 images' in printed
    assert ('derived from the images' in printed) != official_masks


def test_zips_in_the_wrong_order(tool, zips, tmp_path, capsys):
    args = _args(zips)
    args[0], args[1] = args[1], args[0]
    assert tool.main([*args, '-o', str(tmp_path / 'out')]) == 1
    err = capsys.readouterr().err
    assert 'HRF healthy image zip' in err and 'healthy_manualsegm.zip' in err and 'unexpected files 01_h.tif' in err
    assert not (tmp_path / 'out').exists()
