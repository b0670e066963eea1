"""tools/convert_datasets/chase_db1.py on synthetic CHASEDB1.zip archives and (when present) the real one."""
import os.path as osp
import tempfile
import zipfile

import numpy as np
import pytest

from mmcv.image import imfrombytes, imread
from mmseg.datasets.converters import convert_chase_db1
from mmseg.datasets.converters.chase_db1 import CHASE_DB1_IMAGES
from mmseg.utils.synthetic import write_zip
from mmseg.utils.synthetic_sets import make_synthetic_chase_db1

from converter_checks import check_derived_fov, converted_files, mmseg_0x_png, needs_real_data, real_data_dir, tree


@pytest.fixture(scope='module')
def contents(tmp_path_factory):
    path = make_synthetic_chase_db1(str(tmp_path_factory.mktemp('chase')), size=(100, 96), seed=2)
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


@pytest.fixture
def tool(load_tool):
    return load_tool('convert_datasets/chase_db1')


def test_synthetic_zip_has_the_official_names(contents):
    assert len(contents) == 84 and 'Image_14R.jpg' in contents and 'Image_01L_2ndHO.png' in contents


@pytest.mark.slow
def test_converts_the_official_layout(tool, contents, tmp_path, capsys):
    write_zip(str(tmp_path / 'CHASEDB1.zip'), list(contents.items()))
    out = tmp_path / 'CHASE_DB1'
    assert tool.main([str(tmp_path / 'CHASEDB1.zip'), '-o', str(out)]) == 0
    files = converted_files(out)
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


def test_duplicate_member_in_the_zip_is_refused(tool, contents, tmp_path, capsys):
    """A second Image_01L.jpg used to win silently, and its FOV mask came out all ones."""
    files = list(contents.items()) + [('Image_01L.jpg', contents['Image_02L.jpg'])]
    with pytest.warns(UserWarning, match='Duplicate name'):
        write_zip(str(tmp_path / 'CHASEDB1.zip'), files)
    assert tool.main([str(tmp_path / 'CHASEDB1.zip'), '-o', str(tmp_path / 'out')]) == 1
    err = capsys.readouterr().err
    assert 'CHASEDB1.zip holds the member Image_01L.jpg twice' in err and not (tmp_path / 'out').exists()


def _real_chase_db1_zip():
    return osp.join(real_data_dir('CHASE_DB1', ['CHASEDB1.zip']), 'CHASEDB1.zip')


@pytest.mark.slow
@needs_real_data('CHASE_DB1', ['CHASEDB1.zip'])
def test_real_chase_db1_matches_mmseg_0x_byte_for_byte(tmp_path):
    """The PNG bytes of mmseg 0.x's converter: of the 84 members sorted by name the first 60 are training; each is
    read by mmcv.imread (cv2, colour) from the extracted file, labels become [:, :, 0] // 128, mmcv.imwrite (cv2)."""
    out = tmp_path / 'CHASE_DB1'
    summaries = convert_chase_db1(_real_chase_db1_zip(), out_dir=str(out), progress=False)
    assert [(s.images, s.labels, s.second_labels, s.masks) for s in summaries.values()] == [(20, 20, 20, 20),
                                                                                           (8, 8, 8, 8)]
    expected = []
    with tempfile.TemporaryDirectory() as work, zipfile.ZipFile(_real_chase_db1_zip()) as zf:
        for i, name in enumerate(sorted(zf.namelist())):
            stem, ext = osp.splitext(name)
            folder = 'images' if ext == '.jpg' else 'annotations'
            ours = out / folder / ('training' if i < 60 else 'validation') / f'{stem}.png'
            expected.append(osp.relpath(ours, out))
            assert ours.read_bytes() == mmseg_0x_png(zf.read(name), folder == 'annotations', work), ours
    assert sorted(f for f in tree(out) if not f.startswith('masks/') and f.endswith('.png')) == sorted(expected)
    # Derived FOV: plausible size, holds almost all vessels (worst: Image_06L's first observer, 2.5% of its vessel
    # pixels, drawn into the dim upper rim that the mask leaves out).
    check_derived_fov(out, [('training' if i < 20 else 'validation', stem, ('_1stHO.png', '_2ndHO.png'))
                            for i, stem in enumerate(CHASE_DB1_IMAGES)], (0.6, 0.75), 0.03)
