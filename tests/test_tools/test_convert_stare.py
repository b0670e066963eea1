"""tools/convert_datasets/stare.py on synthetic STARE tars, broken tars and (when present) the real STARE tars."""
import gzip
import io
import os
import os.path as osp
import tarfile
import tempfile

import cv2
import numpy as np
import pytest

from mmcv.image import imread
from mmseg.datasets.converters import convert_stare
from mmseg.datasets.converters.stare import STARE_IMAGES
from mmseg.utils.synthetic_sets import _pnm, make_synthetic_stare, write_tar

from converter_checks import check_derived_fov, converted_files, mmseg_0x_png, needs_real_data, real_data_dir

TAR_NAMES = ('stare-images.tar', 'labels-ah.tar', 'labels-vk.tar')


@pytest.fixture(scope='module')
def contents(tmp_path_factory):
    """{tar name: {member: bytes}} of synthetic STARE tars with 96x83 images."""
    paths = make_synthetic_stare(str(tmp_path_factory.mktemp('stare')), size=(96, 83), seed=1)
    result = {}
    for path in paths.values():
        with tarfile.open(path) as tf:
            result[osp.basename(path)] = {m.name: tf.extractfile(m).read() for m in tf.getmembers()}
    return result


def _write(tmp_path, contents, edit=None):
    """Write the three tars into tmp_path, after ``edit(dict of tar name -> members)``; returns their paths."""
    tars = {name: dict(members) for name, members in contents.items()}
    if edit:
        edit(tars)
    for name, members in tars.items():
        write_tar(str(tmp_path / name), list(members.items()))
    return [str(tmp_path / name) for name in TAR_NAMES]


@pytest.fixture
def tars(contents, tmp_path):
    return _write(tmp_path, contents)


@pytest.fixture
def tool(load_tool):
    return load_tool('convert_datasets/stare')


def _gz_label(values: np.ndarray) -> bytes:
    return gzip.compress(_pnm(values.astype(np.uint8)), mtime=0)


def test_converts_the_official_layout(tool, tars, tmp_path, capsys):
    out = tmp_path / 'STARE'
    assert tool.main([*tars, '-o', str(out)]) == 0
    files = converted_files(out)
    expected = []
    for i, stem in enumerate(STARE_IMAGES):
        split = 'training' if i < 10 else 'validation'
        expected += [f'images/{split}/{stem}.png', f'annotations/{split}/{stem}.ah.png',
                     f'annotations/{split}/{stem}.vk.png', f'masks/{split}/{stem}_mask.png']
    assert files == sorted(expected)
    assert 'images/training/im0139.png' in files and 'images/validation/im0162.png' in files  # 10th / 11th
    for name in files:
        if not name.startswith('images'):
            assert set(np.unique(imread(out / name, flag='unchanged'))) == {0, 1}, name
    assert imread(out / 'images/training/im0001.png').shape == (83, 96, 3)
    printed = capsys.readouterr().out
    assert 'training: 10 images, 10 labels, 10 FOV masks (10 derived from the images), 10 second-observer' in printed
    assert sorted(os.listdir(tmp_path)) == sorted(['STARE', *TAR_NAMES])  # no temporary folder left


def test_labels_match_the_tar_and_masks_cover_the_vessels(tars, contents, tmp_path):
    out = tmp_path / 'STARE'
    convert_stare(*tars, out_dir=str(out), progress=False)
    content = gzip.decompress(contents['labels-vk.tar']['im0291.vk.ppm.gz'])
    vk = cv2.imdecode(np.frombuffer(content, np.uint8), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(imread(out / 'annotations/validation/im0291.vk.png', flag='unchanged'), vk // 255)
    label = imread(out / 'annotations/validation/im0291.ah.png', flag='unchanged')
    mask = imread(out / 'masks/validation/im0291_mask.png', flag='unchanged')
    assert 0.5 < mask.mean() < 0.7 and label[mask == 0].sum() < 0.02 * label.sum()  # disc: 61% of the image


def test_labels_stored_as_0_1_are_read_as_vessels(contents, tmp_path):
    """A user's own re-export with 0/1 values must not become all background (the old >= 128 threshold)."""
    def as_01(tars):
        for name, content in tars['labels-ah.tar'].items():
            tars['labels-ah.tar'][name] = gzip.compress(gzip.decompress(content).replace(b'\xff', b'\x01'), mtime=0)
    reference = convert_stare(*_write(tmp_path, contents), out_dir=str(tmp_path / 'a'), progress=False)
    (tmp_path / 'b').mkdir()
    convert_stare(*_write(tmp_path / 'b', contents, as_01), out_dir=str(tmp_path / 'b' / 'out'), progress=False)
    assert reference['training'].labels == 10
    a = imread(tmp_path / 'a/annotations/training/im0001.ah.png', flag='unchanged')
    b = imread(tmp_path / 'b/out/annotations/training/im0001.ah.png', flag='unchanged')
    assert a.any() and np.array_equal(a, b)


def _fails(tool, tars, tmp_path, capsys, *needles, extra=()):
    out = tmp_path / 'out'
    assert tool.main([*tars, '-o', str(out), *extra]) == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith('error: ')]
    assert len(lines) == 1 and 'Traceback' not in err, err
    for needle in needles:
        assert needle in lines[0], err
    assert not out.exists()
    assert not [n for n in os.listdir(tmp_path) if n.startswith('.')]  # no temporary folder left
    return lines[0]


def test_tars_given_in_the_wrong_order(tool, contents, tmp_path, capsys):
    tars = _write(tmp_path, contents)
    _fails(tool, [tars[1], tars[0], tars[2]], tmp_path, capsys, 'STARE image tar', 'labels-ah.tar',
           'unexpected files im0001.ah.ppm.gz')


def test_missing_and_extra_members_are_named(tool, contents, tmp_path, capsys):
    def edit(tars):
        tars['labels-ah.tar'].pop('im0044.ah.ppm.gz')
        tars['stare-images.tar']['im0400.ppm.gz'] = tars['stare-images.tar']['im0001.ppm.gz']
    tars = _write(tmp_path, contents, edit)
    _fails(tool, tars, tmp_path, capsys, 'stare-images.tar', 'unexpected files im0400.ppm.gz')
    tars = _write(tmp_path, contents, lambda t: t['labels-ah.tar'].pop('im0044.ah.ppm.gz'))
    _fails(tool, tars, tmp_path, capsys, 'labels-ah.tar lacks im0044.ah.ppm.gz')


def test_grey_label_is_refused_unless_a_threshold_is_given(tool, contents, tmp_path, capsys):
    grey = np.zeros((83, 96), np.uint8)
    grey[10:20, 10:60] = 200
    grey[30:40, 10:60] = 100
    tars = _write(tmp_path, contents, lambda t: t['labels-vk.tar'].update({'im0005.vk.ppm.gz': _gz_label(grey)}))
    _fails(tool, tars, tmp_path, capsys, 'im0005.vk.ppm.gz', 'values {0, 100, 200}', '--label-threshold 128')
    assert tool.main([*tars, '-o', str(tmp_path / 'out'), '--label-threshold', '128']) == 0
    label = imread(tmp_path / 'out/annotations/training/im0005.vk.png', flag='unchanged')
    assert np.array_equal(label, (grey >= 128).astype(np.uint8))


def test_empty_label_is_refused(tool, contents, tmp_path, capsys):
    empty = _gz_label(np.zeros((83, 96), np.uint8))
    tars = _write(tmp_path, contents, lambda t: t['labels-ah.tar'].update({'im0236.ah.ppm.gz': empty}))
    _fails(tool, tars, tmp_path, capsys, 'im0236.ah.ppm.gz', 'labels-ah.tar', 'all zero')


def test_label_of_another_size_is_refused(tool, contents, tmp_path, capsys):
    small = _gz_label(np.eye(50, 40, dtype=np.uint8) * 255)
    tars = _write(tmp_path, contents, lambda t: t['labels-ah.tar'].update({'im0236.ah.ppm.gz': small}))
    _fails(tool, tars, tmp_path, capsys, 'im0236.ah.ppm.gz', 'is 40x50', '96x83')


def test_corrupt_gzip_member(tool, contents, tmp_path, capsys):
    def corrupt(tars):
        content = bytearray(tars['stare-images.tar']['im0163.ppm.gz'])
        content[len(content) // 2:len(content) // 2 + 16] = b'\xff' * 16
        tars['stare-images.tar']['im0163.ppm.gz'] = bytes(content)
    tars = _write(tmp_path, contents, corrupt)
    _fails(tool, tars, tmp_path, capsys, 'stare-images.tar', 'cannot read im0163.ppm.gz')


def test_compressed_tar_is_accepted(contents, tmp_path):
    tars = _write(tmp_path, contents)
    with open(tars[0], 'rb') as f:
        data = f.read()
    (tmp_path / 'stare-images.tar.gz').write_bytes(gzip.compress(data))
    summaries = convert_stare(str(tmp_path / 'stare-images.tar.gz'), *tars[1:], out_dir=str(tmp_path / 'o'),
                              progress=False)
    assert summaries['validation'].images == 10


@pytest.mark.slow
@needs_real_data('STARE', TAR_NAMES)
def test_real_stare_matches_mmseg_0x_byte_for_byte(tmp_path):
    """Same PNG bytes as mmseg 0.x's converter (cv2.imread of the PPM, labels [:, :, 0] // 128, cv2.imwrite)."""
    root = real_data_dir('STARE', TAR_NAMES)
    out = tmp_path / 'STARE'
    summaries = convert_stare(*(osp.join(root, name) for name in TAR_NAMES), out_dir=str(out), progress=False)
    assert [(s.images, s.labels, s.second_labels, s.masks) for s in summaries.values()] == [(10, 10, 10, 10)] * 2
    with tempfile.TemporaryDirectory() as work:
        for tar_name, suffix in (('stare-images.tar', ''), ('labels-ah.tar', '.ah'), ('labels-vk.tar', '.vk')):
            with tarfile.open(osp.join(root, tar_name)) as tf:
                for member in tf.getmembers():
                    stem = member.name.split('.')[0]
                    split = 'training' if STARE_IMAGES.index(stem) < 10 else 'validation'
                    ours = out / ('annotations' if suffix else 'images') / split / f'{stem}{suffix}.png'
                    content = gzip.decompress(tf.extractfile(member).read())
                    assert ours.read_bytes() == mmseg_0x_png(content, bool(suffix), work), ours
    # derived FOV: plausible size, holds almost all vessels
    check_derived_fov(out, [('training' if i < 10 else 'validation', stem, ('.ah.png', '.vk.png'))
                            for i, stem in enumerate(STARE_IMAGES)], (0.65, 0.85), 0.02)


def test_duplicate_member_in_a_tar_is_refused(tool, contents, tmp_path, capsys):
    """The last copy of im0001 used to become the image silently (exit 0)."""
    tars = _write(tmp_path, contents)
    with tarfile.open(tars[0], 'a') as tf:
        info = tarfile.TarInfo('im0001.ppm.gz')
        content = contents['stare-images.tar']['im0005.ppm.gz']
        info.size = len(content)
        tf.addfile(info, io.BytesIO(content))
    _fails(tool, tars, tmp_path, capsys, 'stare-images.tar', 'im0001.ppm.gz twice')


def test_force_with_the_tars_inside_the_output_folder_keeps_them(tool, contents, tmp_path, capsys):
    """`stare.py data/STARE/*.tar -o data/STARE --force` used to delete the three tars it had just read."""
    out = tmp_path / 'STARE'
    out.mkdir()
    tars = _write(out, contents)
    assert tool.main([*tars, '-o', str(out), '--force']) == 1
    err = capsys.readouterr().err
    assert 'stare-images.tar' in err and 'inside the output folder' in err, err
    assert sorted(os.listdir(out)) == sorted(TAR_NAMES)
    for name in TAR_NAMES:
        with tarfile.open(out / name) as tf:
            assert len(tf.getmembers()) == 20
