"""Synthetic STARE, CHASE_DB1 and HRF archives in each set's official format, from :func:`synthetic_fundus`.

The file names, folder structure, compression and file formats are the official ones (STARE: tars
of gzip-compressed PPMs; CHASE_DB1: one zip of JPEGs and PNGs; HRF: six zips of JPEGs and TIFFs,
plus the FOV-mask zips), so the converters can be tested end to end without the real data.
``size`` sets the image size (tests use small ones); the same seed gives the same bytes.
"""
import gzip
import io
import os.path as osp
import tarfile
from typing import Dict, List, Tuple

import numpy as np

from mmcv.fileio import atomic_write, mkdir_or_exist
from mmcv.image import imencode
from mmseg.datasets.converters.chase_db1 import CHASE_DB1_IMAGES
from mmseg.datasets.converters.hrf import HRF_SETS, hrf_stems
from mmseg.datasets.converters.stare import STARE_IMAGES

from .synthetic import synthetic_fundus, write_zip

TAR_DATE = 1070000000  # 2003-11-28, the date of STARE's files


def _pnm(img: np.ndarray) -> bytes:
    """Binary PPM (P6, from BGR) or PGM (P5, grayscale) bytes; STARE stores both with the .ppm suffix."""
    h, w = img.shape[:2]
    if img.ndim == 3:
        return b'P6\n%d %d\n255\n' % (w, h) + np.ascontiguousarray(img[:, :, ::-1]).tobytes()
    return b'P5\n%d %d\n255\n' % (w, h) + np.ascontiguousarray(img).tobytes()


def write_tar(path: str, files: List[Tuple[str, bytes]]) -> None:
    """Write an uncompressed tar atomically, with fixed dates and owners so equal content gives equal bytes."""
    with atomic_write(path, 'wb') as f, tarfile.open(fileobj=f, mode='w', format=tarfile.GNU_FORMAT) as tf:
        for name, content in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(content), TAR_DATE, 0o644
            tf.addfile(info, io.BytesIO(content))


def _fundus(seed: int, index: int, size: Tuple[int, int]):
    return synthetic_fundus(np.random.default_rng([seed, index]), size)


def make_synthetic_stare(out_dir: str, size: Tuple[int, int] = (700, 605), seed: int = 0) -> Dict[str, str]:
    """Write ``stare-images.tar``, ``labels-ah.tar`` and ``labels-vk.tar`` (20 images each, official names).

    ``size`` is (w, h) (STARE's is 700x605). Returns {'images', 'labels_ah', 'labels_vk'} -> path.
    """
    mkdir_or_exist(out_dir)
    images, ah, vk = [], [], []
    for i, stem in enumerate(STARE_IMAGES):
        img, first, second, _ = _fundus(seed, i, size)
        images.append((f'{stem}.ppm.gz', gzip.compress(_pnm(img), mtime=0)))
        ah.append((f'{stem}.ah.ppm.gz', gzip.compress(_pnm(first * 255), mtime=0)))
        vk.append((f'{stem}.vk.ppm.gz', gzip.compress(_pnm(second * 255), mtime=0)))
    paths = {key: osp.join(out_dir, name) for key, name in
             (('images', 'stare-images.tar'), ('labels_ah', 'labels-ah.tar'), ('labels_vk', 'labels-vk.tar'))}
    for key, files in (('images', images), ('labels_ah', ah), ('labels_vk', vk)):
        write_tar(paths[key], files)
    return paths


def make_synthetic_chase_db1(out_dir: str, size: Tuple[int, int] = (999, 960), seed: int = 0) -> str:
    """Write ``CHASEDB1.zip``: 28 ``Image_01L.jpg`` ... with ``_1stHO.png`` and ``_2ndHO.png`` labels (0/255).

    ``size`` is (w, h) (CHASE_DB1's is 999x960). Returns the zip's path.
    """
    mkdir_or_exist(out_dir)
    files = []
    for i, stem in enumerate(CHASE_DB1_IMAGES):
        img, first, second, _ = _fundus(seed, i, size)
        files += [(f'{stem}.jpg', imencode(img, '.jpg')), (f'{stem}_1stHO.png', imencode(first * 255, '.png')),
                  (f'{stem}_2ndHO.png', imencode(second * 255, '.png'))]
    path = osp.join(out_dir, 'CHASEDB1.zip')
    write_zip(path, files)
    return path


def make_synthetic_hrf(out_dir: str, size: Tuple[int, int] = (876, 584), seed: int = 0) -> Dict[str, List[str]]:
    """Write HRF's nine zips: ``healthy.zip``, ``healthy_manualsegm.zip``, ``healthy_fovmask.zip``, ... .

    15 images per set (``01_h.jpg``, ``01_g.jpg``, ``01_dr.JPG``), labels ``01_h.tif`` and masks
    ``01_h_mask.tif`` (0/255). ``size`` is (w, h) (HRF's is 3504x2336; the default is a quarter).
    Returns {'images', 'labels', 'masks'} -> the three paths in healthy, glaucoma, diabetic_retinopathy order.
    """
    mkdir_or_exist(out_dir)
    paths: Dict[str, List[str]] = {'images': [], 'labels': [], 'masks': []}
    for k, (name, (tag, suffix)) in enumerate(HRF_SETS.items()):
        images, labels, masks = [], [], []
        for i, stem in enumerate(hrf_stems(tag)):
            img, first, _, fov = _fundus(seed, 100 * k + i, size)
            images.append((f'{stem}{suffix}', imencode(img, '.jpg')))
            labels.append((f'{stem}.tif', imencode(first * 255, '.tif')))
            masks.append((f'{stem}_mask.tif', imencode(fov * 255, '.tif')))
        for key, zip_name, files in (('images', f'{name}.zip', images), ('labels', f'{name}_manualsegm.zip', labels),
                                     ('masks', f'{name}_fovmask.zip', masks)):
            paths[key].append(osp.join(out_dir, zip_name))
            write_zip(paths[key][-1], files)
    return paths
