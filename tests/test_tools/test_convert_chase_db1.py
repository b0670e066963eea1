"""tools/convert_datasets/chase_db1.py on synthetic CHASEDB1.zip archives (the real set is not available here)."""
import os
import os.path as osp
import zipfile

import numpy as np
import pytest

from mmcv.image import imfrombytes, imread
from mmseg.datasets.converters.chase_db1 import CHASE_DB1_IMAGES
from mmseg.utils.synthetic import write_zip
from mmseg.utils.synthetic_sets import make_synthetic_chase_db1


@pytest.fixture(scope='module')
def contents(tmp_path_factory):
    path = make_synthetic_chase_db1(str(tmp_path_factory.mktemp('chase')), size=(100, 96), seed=2)
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


@pytest.fixture
def tool(load_tool):
    return load_tool('convert_datasets/chase_db1')


def _tree(root):
    return sorted(osp.relpath(osp.join(d, f), root) for d, _, files in os.walk(root) for f in files)


def test_synthetic_zip_has_the_official_names(contents):
    assert len(contents) == 84 and 'Image_14R.jpg' in contents and 'Image_01L_2ndHO.png' in contents


@pytest.mark.slow
def test_converts_the_official_layout(tool, contents, tmp_path, capsys):
    write_zip(str(tmp_path / 'CHASEDB1.zip'), list(contents.items()))
    out = tmp_path / 'CHASE_DB1'
    assert tool.main([str(tmp_path / 'CHASEDB1.zip'), '-o', str(out)]) == 0
    files = _tree(out)
    assert len(files) == 28 * 4
    for i, stem in enumerate(CHASE_DB1_IMAGES):
        split = 'training' if i < 20 else 'validation'
        for name in (f'images/{split}/{stem}.png', f'annotations/{split}/{stem}_1stHO.png',
                     f'annotations/{split}/{stem}_2ndHO.png', f'masks/{split}/{stem}_mask.png'):
            assert name in files
    assert 'images/training/Image_10R.png' in files and 'images/validation/Image_11L.png' in files
    label = imread(out / 'annotations/validation/Image_12R_1stHO.png', flag='unchanged')
    source = imfrombytes(contents['Image_12R_1stHO.png'], flag='unchanged')
    assert set(np.unique(label)) == {0, 1} and np.array_equal(label, source // 255)
    assert set(np.unique(imread(out / 'masks/training/Image_01L_mask.png', flag='unchanged'))) == {0, 1}
    assert 'training: 20 images, 20 labels, 20 FOV masks (20 derived from the images), 20 second' in \
        capsys.readouterr().out


def test_missing_label_is_named(tool, contents, tmp_path, capsys):
    files = {k: v for k, v in contents.items() if k != 'Image_07L_2ndHO.png'}
    write_zip(str(tmp_path / 'CHASEDB1.zip'), list(files.items()))
    assert tool.main([str(tmp_path / 'CHASEDB1.zip'), '-o', str(tmp_path / 'out')]) == 1
    err = capsys.readouterr().err
    assert 'CHASEDB1.zip lacks Image_07L_2ndHO.png' in err and not (tmp_path / 'out').exists()
