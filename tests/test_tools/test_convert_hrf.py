"""tools/convert_datasets/hrf.py on synthetic HRF zips, labels with grey pixels and (when present) the real HRF zips."""
import os.path as osp
import re
import tempfile
import zipfile

import cv2
import numpy as np
import pytest

from mmcv.image import imencode, imfrombytes, imread
from mmseg.datasets.converters import convert_hrf
from mmseg.utils.synthetic import write_zip
from mmseg.utils.synthetic_sets import make_synthetic_hrf

from converter_checks import converted_files, mmseg_0x_png, needs_real_data, real_data_dir

SETS = ('healthy', 'glaucoma', 'diabetic_retinopathy')


@pytest.fixture(scope='module')
def zips(tmp_path_factory):
    return make_synthetic_hrf(str(tmp_path_factory.mktemp('hrf')), size=(120, 80), seed=3)


@pytest.fixture
def tool(load_tool):
    return load_tool('convert_datasets/hrf')


def _args(zips):
    """The six positional arguments in mmseg 0.x's order: images, labels of each set in turn."""
    return [path for pair in zip(zips['images'], zips['labels']) for path in pair]


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
    files = converted_files(out)
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


def _with_grey_label(zips, tmp_path, stem, grey_pixels):
    """A copy of the healthy label zip whose ``stem``.tif has ``grey_pixels`` anti-aliased pixels on vessel edges."""
    with zipfile.ZipFile(zips['labels'][0]) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    label = imfrombytes(files[f'{stem}.tif'], flag='unchanged')
    edge = np.argwhere((label == 0) & (cv2.dilate(label, np.ones((3, 3), np.uint8)) == 255))[:grey_pixels]
    assert len(edge) == grey_pixels
    for i, (y, x) in enumerate(edge):
        label[y, x] = 60 if i % 3 else 200
    files[f'{stem}.tif'] = imencode(label, '.tif')
    path = tmp_path / 'healthy_manualsegm.zip'
    write_zip(str(path), list(files.items()))
    return [str(path), *zips['labels'][1:]], label


def test_label_with_a_few_grey_pixels_is_binarized_at_128_and_reported(zips, tmp_path, capsys):
    """Like the official 11_h/12_h/13_h: mmseg 0.x's command line must take them; each file gets one line."""
    limit = int(0.001 * 120 * 80)  # 0.1% of the pixels
    labels, grey = _with_grey_label(zips, tmp_path, '12_h', limit)
    out = tmp_path / 'HRF'
    convert_hrf(zips['images'], labels, out_dir=str(out), progress=False)
    written = imread(out / 'annotations/validation/12_h.png', flag='unchanged')
    assert np.array_equal(written, (grey >= 128).astype(np.uint8))
    lines = [line for line in capsys.readouterr().out.splitlines() if 'grey' in line]
    assert len(lines) == 1 and '12_h.tif' in lines[0] and f'{limit} grey pixels' in lines[0], lines
    assert 'binarized at 128' in lines[0]


def test_label_that_is_not_near_binary_is_refused(zips, tool, tmp_path, capsys):
    labels, _ = _with_grey_label(zips, tmp_path, '03_h', int(0.001 * 120 * 80) + 1)
    out = tmp_path / 'HRF'
    args = [p for pair in zip(zips['images'], labels) for p in pair]
    assert tool.main([*args, '-o', str(out)]) == 1
    err = capsys.readouterr().err
    assert '03_h.tif in' in err and 'healthy_manualsegm.zip' in err and 'at most 0.1%' in err, err
    assert not out.exists()


REAL_ZIPS = [f'{s}{kind}.zip' for s in SETS for kind in ('', '_manualsegm', '_fovmask')]


@pytest.mark.slow
@needs_real_data('HRF', REAL_ZIPS)
def test_real_hrf_matches_mmseg_0x_byte_for_byte(tool, tmp_path, capsys):
    """mmseg 0.x's command line, unchanged, on the official zips: images and labels are the PNG bytes mmseg 0.x
    writes (of each set's members sorted by name, the first 5 training), the three labels with grey pixels get one
    line each with their count, and the FOV masks derived from the images match the official ones."""
    root = real_data_dir('HRF', REAL_ZIPS)
    out = tmp_path / 'HRF'
    args = [osp.join(root, f'{s}{kind}.zip') for s in SETS for kind in ('', '_manualsegm')]
    assert tool.main([*args, '-o', str(out)]) == 0
    reported = dict(re.findall(r'(\d\d_\w+)\.tif in \S+: (\d+) grey pixels', capsys.readouterr().out))
    expected, grey_counts = [], {}
    with tempfile.TemporaryDirectory() as work:
        for path in args:
            folder = 'annotations' if path.endswith('_manualsegm.zip') else 'images'
            with zipfile.ZipFile(path) as zf:
                for i, name in enumerate(sorted(zf.namelist())):
                    stem = osp.splitext(name)[0]
                    ours = out / folder / ('training' if i < 5 else 'validation') / f'{stem}.png'
                    expected.append(osp.relpath(ours, out))
                    content = zf.read(name)
                    assert ours.read_bytes() == mmseg_0x_png(content, folder == 'annotations', work), ours
                    if folder == 'annotations':
                        raw = cv2.imdecode(np.frombuffer(content, np.uint8), cv2.IMREAD_UNCHANGED)
                        grey = int(((raw != 0) & (raw != 255)).sum())
                        if grey:
                            grey_counts[stem] = str(grey)
    assert grey_counts and reported == grey_counts  # one line per grey file, with its count
    assert [f for f in converted_files(out) if not f.startswith('masks/')] == sorted(expected)
    for s in SETS:  # derived FOV against the official masks (measured: IoU 0.9944 at worst)
        with zipfile.ZipFile(osp.join(root, f'{s}_fovmask.zip')) as zf:
            for i, name in enumerate(sorted(zf.namelist())):
                official = cv2.imdecode(np.frombuffer(zf.read(name), np.uint8), cv2.IMREAD_GRAYSCALE) > 127
                derived = imread(out / 'masks' / ('training' if i < 5 else 'validation') / f'{name[:-4]}.png',
                                 flag='unchanged') > 0
                assert (official & derived).sum() > 0.99 * (official | derived).sum(), name
