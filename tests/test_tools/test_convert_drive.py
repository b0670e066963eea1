"""tools/convert_datasets/drive.py on synthetic zips, broken zips and (when present) the real DRIVE zips."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from mmcv.image import imencode, imread
from mmseg.datasets.converters import convert_drive
from mmseg.utils.synthetic import make_synthetic_drive

from converter_checks import converted_files

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'convert_datasets', 'drive.py')


def _load_tool():
    spec = importlib.util.spec_from_file_location('convert_drive_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


def _read_zip(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist() if not name.endswith('/')}


def _write_zip(path, files):
    with zipfile.ZipFile(path, 'w') as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return str(path)


@pytest.fixture(scope='module')
def contents(tmp_path_factory):
    """(training files, test files) of synthetic zips with 2 + 2 images of 100x96, as {entry: bytes}."""
    train, test = make_synthetic_drive(str(tmp_path_factory.mktemp('zips')), num_train=2, num_test=2,
                                       size=(100, 96), seed=5)
    return _read_zip(train), _read_zip(test)


@pytest.fixture
def zips(contents, tmp_path):
    return _write_zip(tmp_path / 'training.zip', contents[0]), _write_zip(tmp_path / 'test.zip', contents[1])


def test_converts_the_official_layout(zips, tmp_path, capsys):
    out = tmp_path / 'DRIVE'
    assert tool.main([*zips, '-o', str(out)]) == 0
    assert converted_files(out) == [
        'annotations/training/21_manual1.png', 'annotations/training/22_manual1.png',
        'annotations/validation/01_manual1.png', 'annotations/validation/01_manual2.png',
        'annotations/validation/02_manual1.png', 'annotations/validation/02_manual2.png',
        'images/training/21.png', 'images/training/22.png', 'images/validation/01.png', 'images/validation/02.png',
        'masks/training/21_mask.png', 'masks/training/22_mask.png',
        'masks/validation/01_mask.png', 'masks/validation/02_mask.png']
    for name in converted_files(out):
        if name.startswith(('annotations', 'masks')):
            values = set(np.unique(imread(out / name, flag='unchanged')))
            assert values == {0, 1}, name
    assert imread(out / 'images/training/21.png').shape == (96, 100, 3)
    printed = capsys.readouterr().out
    assert 'training: 2 images, 2 labels, 2 FOV masks' in printed
    assert 'validation: 2 images, 2 labels, 2 FOV masks, 2 second-observer labels' in printed
    assert sorted(os.listdir(tmp_path)) == ['DRIVE', 'test.zip', 'training.zip']  # no temporary folders left


def test_labels_and_images_match_the_zip(zips, contents, tmp_path):
    out = tmp_path / 'DRIVE'
    convert_drive(*zips, out_dir=str(out), progress=False)
    from mmcv.image import imfrombytes
    gif = imfrombytes(contents[1]['test/1st_manual/01_manual1.gif'], flag='grayscale')
    assert np.array_equal(imread(out / 'annotations/validation/01_manual1.png', flag='unchanged'), gif // 255)
    tif = imfrombytes(contents[0]['training/images/22_training.tif'])
    assert np.array_equal(imread(out / 'images/training/22.png'), tif)
    second = imfrombytes(contents[1]['test/2nd_manual/02_manual2.gif'], flag='unchanged')  # palette 0/1
    assert np.array_equal(imread(out / 'annotations/validation/02_manual2.png', flag='unchanged'), second)


def test_extra_top_folder_is_accepted(contents, tmp_path):
    train = _write_zip(tmp_path / 'train.zip', {f'DRIVE/{k}': v for k, v in contents[0].items()})
    test = _write_zip(tmp_path / 'test.zip', {f'DRIVE/{k}': v for k, v in contents[1].items()})
    summaries = convert_drive(train, test, out_dir=str(tmp_path / 'out'), progress=False)
    assert summaries['training'].images == 2 and summaries['validation'].labels == 2


def test_test_zip_without_labels_converts_images_and_warns(contents, tmp_path, capsys):
    train = _write_zip(tmp_path / 'train.zip', contents[0])
    test = _write_zip(tmp_path / 'test.zip', {k: v for k, v in contents[1].items() if 'manual' not in k})
    summaries = convert_drive(train, test, out_dir=str(tmp_path / 'out'), progress=False)
    assert summaries['validation'].images == 2 and summaries['validation'].labels == 0
    assert 'no 1st_manual/ folder' in capsys.readouterr().out
    assert not osp.exists(tmp_path / 'out' / 'annotations' / 'validation')


def _check_fails(train, test, tmp_path, capsys, *needles):
    out = tmp_path / 'out'
    assert tool.main([train, test, '-o', str(out)]) == 1
    err = capsys.readouterr().err
    for needle in needles:
        assert needle in err, err
    assert not out.exists()
    assert not [n for n in os.listdir(tmp_path) if n.startswith('.')]  # no temporary folder left


def _broken(contents, tmp_path, edit_train=None, edit_test=None):
    train, test = dict(contents[0]), dict(contents[1])
    if edit_train:
        edit_train(train)
    if edit_test:
        edit_test(test)
    return _write_zip(tmp_path / 'training.zip', train), _write_zip(tmp_path / 'test.zip', test)


def test_missing_file(zips, tmp_path, capsys):
    _check_fails(str(tmp_path / 'nothere.zip'), zips[1], tmp_path, capsys, 'nothere.zip does not exist')


def test_not_a_zip(zips, tmp_path, capsys):
    fake = tmp_path / 'fake.zip'
    fake.write_bytes(b'this is not a zip')
    _check_fails(zips[0], str(fake), tmp_path, capsys, 'fake.zip is not a zip or tar archive')


def test_zip_without_the_expected_folders(contents, tmp_path, capsys):
    train = _write_zip(tmp_path / 'other.zip', {'readme.txt': b'hello'})
    _check_fails(train, _write_zip(tmp_path / 'test.zip', contents[1]), tmp_path, capsys,
                 'other.zip has no images/ folder')


def test_training_zip_without_labels(contents, tmp_path, capsys):
    zips = _broken(contents, tmp_path, edit_train=lambda f: [f.pop(k) for k in list(f) if '1st_manual' in k])
    _check_fails(*zips, tmp_path, capsys, 'no training/1st_manual/ folder')


def test_label_missing_for_one_image(contents, tmp_path, capsys):
    zips = _broken(contents, tmp_path, edit_train=lambda f: f.pop('training/mask/22_training_mask.gif'))
    _check_fails(*zips, tmp_path, capsys, 'mask/ lacks the files of images', '22_training.tif')


def test_unreadable_image(contents, tmp_path, capsys):
    zips = _broken(contents, tmp_path, edit_test=lambda f: f.update({'test/images/02_test.tif': b'garbage'}))
    _check_fails(*zips, tmp_path, capsys, 'test/images/02_test.tif')


def test_label_size_differs_from_image(contents, tmp_path, capsys):
    small = imencode(np.eye(50, 40, dtype=np.uint8) * 255, '.gif')
    zips = _broken(contents, tmp_path, edit_train=lambda f: f.update({'training/1st_manual/22_manual1.gif': small}))
    _check_fails(*zips, tmp_path, capsys, 'training/1st_manual/22_manual1.gif in', 'is 40x50', '100x96')


@pytest.mark.parametrize('entry', ['/etc/evil.gif', '../evil.gif', 'training/../../evil.gif'])
def test_unsafe_entry_names(contents, tmp_path, capsys, entry):
    zips = _broken(contents, tmp_path, edit_train=lambda f: f.update({entry: b'x'}))
    _check_fails(*zips, tmp_path, capsys, f"unsafe entry '{entry}'")


def test_existing_output_needs_force_and_survives_failures(zips, contents, tmp_path, capsys):
    out = tmp_path / 'DRIVE'
    out.mkdir()
    (out / 'old.txt').write_text('keep me')
    assert tool.main([*zips, '-o', str(out)]) == 1
    assert '--force' in capsys.readouterr().err and (out / 'old.txt').exists()
    assert tool.main([*zips, '-o', str(out), '--force']) == 1  # not a converter's folder: never replaced
    assert 'old.txt' in capsys.readouterr().err and (out / 'old.txt').read_text() == 'keep me'
    (out / 'old.txt').unlink()
    assert tool.main([*zips, '-o', str(out)]) == 0
    first = (out / 'images' / 'training' / '21.png').read_bytes()
    broken = _write_zip(tmp_path / 'bad.zip', {'training/images/21_training.tif': b'garbage'})
    assert tool.main([broken, zips[1], '-o', str(out), '--force']) == 1
    assert (out / 'images' / 'training' / '21.png').read_bytes() == first
    assert tool.main([*zips, '-o', str(out), '--force']) == 0
    assert (out / 'images' / 'training' / '21.png').exists()
    assert sorted(os.listdir(tmp_path)) == ['DRIVE', 'bad.zip', 'test.zip', 'training.zip']


def test_tmp_dir_and_permissions(zips, tmp_path):
    work = tmp_path / 'work'
    convert_drive(*zips, out_dir=str(tmp_path / 'DRIVE'), tmp_dir=str(work), progress=False)
    assert os.listdir(work) == []
    mode = os.stat(tmp_path / 'DRIVE').st_mode & 0o777
    assert mode == 0o777 & ~_umask()


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.slow
def test_command_line_exit_status(zips, tmp_path):
    env = dict(os.environ, PYTHONPATH=REPO)
    ok = subprocess.run([sys.executable, TOOL, *zips, '-o', str(tmp_path / 'D')], capture_output=True, text=True,
                        env=env, timeout=300)
    assert ok.returncode == 0 and 'Done' in ok.stdout, ok.stderr
    bad = subprocess.run([sys.executable, TOOL, zips[0], str(tmp_path / 'none.zip'), '-o', str(tmp_path / 'E')],
                         capture_output=True, text=True, env=env, timeout=300)
    assert bad.returncode == 1 and 'none.zip does not exist' in bad.stderr


def _real_drive_dir():
    candidates = [os.environ.get('DRIVE_DIR'), osp.join(REPO, '..', 'shared', 'data', 'DRIVE')]
    for path in candidates:
        if path and osp.isfile(osp.join(path, 'training.zip')) and osp.isfile(osp.join(path, 'test.zip')):
            return path
    return None


@pytest.mark.slow
@pytest.mark.skipif(_real_drive_dir() is None,
                    reason='real DRIVE zips not found (set DRIVE_DIR or put them in ../shared/data/DRIVE)')
def test_real_drive(tmp_path):
    root = _real_drive_dir()
    out = tmp_path / 'DRIVE'
    summaries = convert_drive(osp.join(root, 'training.zip'), osp.join(root, 'test.zip'), str(out), progress=False)
    assert (summaries['training'].images, summaries['training'].labels, summaries['training'].masks) == (20, 20, 20)
    assert (summaries['validation'].images, summaries['validation'].labels) == (20, 20)
    assert summaries['validation'].second_labels == 20 and summaries['validation'].masks == 20
    for split, numbers in (('training', range(21, 41)), ('validation', range(1, 21))):
        for number in numbers:
            img = imread(out / 'images' / split / f'{number:02d}.png')
            label = imread(out / 'annotations' / split / f'{number:02d}_manual1.png', flag='unchanged')
            mask = imread(out / 'masks' / split / f'{number:02d}_mask.png', flag='unchanged')
            assert img.shape == (584, 565, 3) and label.shape == mask.shape == (584, 565)
            assert set(np.unique(label)) == {0, 1} and set(np.unique(mask)) == {0, 1}
            assert 0.05 < label.mean() < 0.15


def test_swapped_zips_are_refused(zips, tmp_path, capsys):
    _check_fails(zips[1], zips[0], tmp_path, capsys, "training zip", "holds DRIVE's test set (test/images/01_test.tif)",
                 'give training.zip first and test.zip second')


def test_same_zip_twice_is_refused(zips, tmp_path, capsys):
    _check_fails(zips[0], zips[0], tmp_path, capsys, "test zip", "holds DRIVE's training set")


def test_split_is_told_by_image_names_without_a_split_folder(contents, tmp_path, capsys):
    test = _write_zip(tmp_path / 'mine.zip', {k.replace('test/', ''): v for k, v in contents[1].items()})
    train = _write_zip(tmp_path / 'training.zip', contents[0])
    _check_fails(test, train, tmp_path, capsys, 'mine.zip holds DRIVE\'s test set (images/01_test.tif)')


def test_labels_stored_as_0_1_are_kept(contents, tmp_path):
    """A re-export with 0/1 values used to be thresholded at 128 into an all-background label, with exit 0."""
    zero_one = imencode(np.eye(96, 100, dtype=np.uint8), '.png')
    zips = _broken(contents, tmp_path, edit_train=lambda f: f.update({'training/1st_manual/21_manual1.gif': zero_one}))
    convert_drive(*zips, out_dir=str(tmp_path / 'out'), progress=False)
    label = imread(tmp_path / 'out/annotations/training/21_manual1.png', flag='unchanged')
    assert np.array_equal(label, np.eye(96, 100, dtype=np.uint8))


def test_empty_label_is_refused(contents, tmp_path, capsys):
    empty = imencode(np.zeros((96, 100), np.uint8), '.gif')
    zips = _broken(contents, tmp_path, edit_test=lambda f: f.update({'test/1st_manual/02_manual1.gif': empty}))
    _check_fails(*zips, tmp_path, capsys, 'test/1st_manual/02_manual1.gif in', 'all zero')
