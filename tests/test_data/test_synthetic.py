import hashlib
import os.path as osp
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

from mmcv.image import imfrombytes
from mmseg.utils.synthetic import make_synthetic_drive, synthetic_fundus

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _digest(path):
    return hashlib.sha256(open(path, 'rb').read()).hexdigest()


def test_official_layout_and_names(tmp_path):
    train, test = make_synthetic_drive(str(tmp_path), num_train=2, num_test=2, size=(100, 96))
    assert (train, test) == (str(tmp_path / 'training.zip'), str(tmp_path / 'test.zip'))
    train_files = sorted(n for n in zipfile.ZipFile(train).namelist() if not n.endswith('/'))
    assert train_files == ['training/1st_manual/21_manual1.gif', 'training/1st_manual/22_manual1.gif',
                           'training/images/21_training.tif', 'training/images/22_training.tif',
                           'training/mask/21_training_mask.gif', 'training/mask/22_training_mask.gif']
    test_files = sorted(n for n in zipfile.ZipFile(test).namelist() if not n.endswith('/'))
    assert 'test/2nd_manual/02_manual2.gif' in test_files and 'test/mask/01_test_mask.gif' in test_files
    assert 'test/images/01_test.tif' in test_files and len(test_files) == 8


def test_files_decode_like_drive(tmp_path):
    _, test = make_synthetic_drive(str(tmp_path), num_train=1, num_test=1, size=(100, 96))
    zf = zipfile.ZipFile(test)
    img = imfrombytes(zf.read('test/images/01_test.tif'))
    label = imfrombytes(zf.read('test/1st_manual/01_manual1.gif'), flag='grayscale')
    second = imfrombytes(zf.read('test/2nd_manual/01_manual2.gif'), flag='unchanged')
    mask = imfrombytes(zf.read('test/mask/01_test_mask.gif'), flag='grayscale')
    assert img.shape == (96, 100, 3) and label.shape == mask.shape == second.shape == (96, 100)
    assert set(np.unique(label)) == {0, 255} and set(np.unique(mask)) == {0, 255}
    assert set(np.unique(second)) == {0, 1}  # palette indices, as in DRIVE's second observer GIFs
    assert img[mask == 0].mean() < 5 < 40 < img[mask == 255].mean()
    assert img[mask == 255][:, 2].mean() > img[mask == 255][:, 0].mean()  # red over blue (BGR order)


def test_deterministic_by_seed(tmp_path):
    a = make_synthetic_drive(str(tmp_path / 'a'), num_train=1, num_test=1, size=(100, 96), seed=3)
    b = make_synthetic_drive(str(tmp_path / 'b'), num_train=1, num_test=1, size=(100, 96), seed=3)
    c = make_synthetic_drive(str(tmp_path / 'c'), num_train=1, num_test=1, size=(100, 96), seed=4)
    assert [_digest(p) for p in a] == [_digest(p) for p in b]
    assert _digest(a[0]) != _digest(c[0])


@pytest.mark.parametrize('size', [(565, 584), (100, 96)])
def test_vessel_fraction_is_drive_like_and_generation_fast(size):
    start = time.perf_counter()
    fractions = []
    for seed in range(4):
        img, vessels, second, fov = synthetic_fundus(np.random.default_rng(seed), size)
        assert img.shape == (size[1], size[0], 3) and vessels.shape == fov.shape == (size[1], size[0])
        assert not (vessels & (fov == 0)).any()
        fractions.append(vessels.mean())
        assert 0 < np.mean(vessels != second) < 0.05  # a second observer that mostly agrees
    assert all(0.06 <= f <= 0.14 for f in fractions), fractions
    assert (time.perf_counter() - start) / 4 < 1.0


def test_invalid_arguments(tmp_path):
    with pytest.raises(ValueError, match='at least one'):
        make_synthetic_drive(str(tmp_path), num_train=0)
    with pytest.raises(ValueError, match='32 pixels'):
        make_synthetic_drive(str(tmp_path), size=(10, 10))


@pytest.mark.slow
def test_cli_writes_the_zips(tmp_path):
    out = subprocess.run([sys.executable, osp.join(REPO, 'tools/make_synthetic_drive.py'), str(tmp_path),
                          '--num-train', '1', '--num-test', '1', '--size', '48', '40', '--seed', '2'],
                         capture_output=True, text=True, env={'PYTHONPATH': REPO, 'PATH': ''}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert 'training.zip (1 images)' in out.stdout
    img = imfrombytes(zipfile.ZipFile(tmp_path / 'training.zip').read('training/images/21_training.tif'))
    assert img.shape == (40, 48, 3)


@pytest.mark.slow
def test_synthetic_sets_are_deterministic_and_official(tmp_path):
    import tarfile

    from mmseg.utils.synthetic_sets import make_synthetic_stare
    a = make_synthetic_stare(str(tmp_path / 'a'), size=(96, 83), seed=1)
    b = make_synthetic_stare(str(tmp_path / 'b'), size=(96, 83), seed=1)
    assert [_digest(p) for p in a.values()] == [_digest(p) for p in b.values()]
    with tarfile.open(a['labels_ah']) as tf:
        names = tf.getnames()
        ppm = __import__('gzip').decompress(tf.extractfile('im0324.ah.ppm.gz').read())
    assert len(names) == 20 and names[0] == 'im0001.ah.ppm.gz' and ppm.startswith(b'P5\n96 83\n255\n')


@pytest.mark.slow
@pytest.mark.parametrize('dataset,expected', [('stare', 'labels-vk.tar'), ('chase_db1', 'CHASEDB1.zip'),
                                              ('hrf', 'diabetic_retinopathy_fovmask.zip'), ('drive', 'test.zip')])
def test_retinal_cli_writes_each_official_format(tmp_path, capsys, dataset, expected):
    import importlib.util
    spec = importlib.util.spec_from_file_location('make_synthetic_retinal',
                                                  osp.join(REPO, 'tools/make_synthetic_retinal.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main([str(tmp_path), '--dataset', dataset, '--size', '96', '83']) == 0
    assert osp.isfile(tmp_path / expected) and f'synthetic {dataset}' in capsys.readouterr().out
