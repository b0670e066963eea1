"""Convert the official DRIVE zips into the folder layout that ``DRIVEDataset`` reads.

Output (NN = the two-digit image number)::

    out_dir/images/{training,validation}/NN.png              RGB fundus images
    out_dir/annotations/{training,validation}/NN_manual1.png   first observer, 0 background / 1 vessel
    out_dir/annotations/validation/NN_manual2.png             second observer (when the zip has it)
    out_dir/masks/{training,validation}/NN_mask.png           field of view, 0 outside / 1 inside

The whole tree is built in a temporary folder and renamed into place at the end, so a failure
leaves no partial output and an existing output is only replaced (``force=True``) by a complete one.
"""
import os
import os.path as osp
import posixpath
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np
from tqdm import tqdm

from mmcv.image import imfrombytes, imwrite
from mmcv.logging import print_log

from .zip_reader import ConversionError, files_by_folder, find_root, list_files, open_zip, read_entry

# zip folder -> (output folder, output suffix)
KINDS = {
    '1st_manual': ('annotations', '_manual1.png'),
    '2nd_manual': ('annotations', '_manual2.png'),
    'mask': ('masks', '_mask.png'),
}
IMAGE_SUFFIXES = ('.tif', '.tiff', '.png', '.jpg', '.jpeg', '.ppm', '.bmp')


@dataclass
class SplitSummary:
    """What was written for one split."""
    images: int = 0
    labels: int = 0
    second_labels: int = 0
    masks: int = 0

    def __str__(self) -> str:
        return (f'{self.images} images, {self.labels} labels, {self.masks} FOV masks'
                + (f', {self.second_labels} second-observer labels' if self.second_labels else ''))


@dataclass
class _Split:
    """The entries of one split in a zip, by image number."""
    zip_path: str
    zf: zipfile.ZipFile
    name: str  # output split: 'training' or 'validation'
    images: Dict[str, str]
    annotations: Dict[str, Dict[str, str]]  # zip folder -> {number: entry}


def _number(entry: str) -> Optional[str]:
    match = re.match(r'^(\d+)_', posixpath.basename(entry))
    return f'{int(match.group(1)):02d}' if match else None


def _by_number(entries: List[str], zip_path: str, folder: str) -> Dict[str, str]:
    numbered: Dict[str, str] = {}
    for entry in entries:
        number = _number(entry)
        if number is None:
            raise ConversionError(f'{zip_path}: cannot tell the image number of {entry} '
                                  f'(expected names like 21_training.tif in {folder}/)')
        if number in numbered:
            raise ConversionError(f'{zip_path}: {numbered[number]} and {entry} both have number {number}')
        numbered[number] = entry
    return numbered


def _scan_split(zip_path: str, what: str, zip_split: str, out_split: str, labels_required: bool,
                logger) -> _Split:
    zf = open_zip(zip_path, what)
    files = list_files(zf)
    root = find_root(files, 'images', zip_split, zip_path)
    folders = files_by_folder(files, root)
    images = [f for f in folders.get('images', []) if f.lower().endswith(IMAGE_SUFFIXES)]
    if not images:
        raise ConversionError(f'{zip_path}: no images in {root}/images/ (expected e.g. 21_{zip_split}.tif)')
    split = _Split(zip_path, zf, out_split, _by_number(images, zip_path, 'images'), {})
    for folder in KINDS:
        if folder in folders:
            split.annotations[folder] = _by_number(folders[folder], zip_path, folder)
    if '1st_manual' not in split.annotations:
        if labels_required:
            raise ConversionError(f'{zip_path}: no {root}/1st_manual/ folder with the vessel labels')
        print_log(f'warning: {zip_path} has no 1st_manual/ folder: {out_split} images are converted without '
                  f'labels, so they cannot be used for validation until labels are added', logger)
    if 'mask' not in split.annotations:
        print_log(f'warning: {zip_path} has no mask/ folder: no FOV masks for {out_split}', logger)
    for folder, numbered in split.annotations.items():
        for number, entry in numbered.items():
            if number not in split.images:
                raise ConversionError(f'{zip_path}: {entry} has no image with number {number} in images/')
        missing = sorted(set(split.images) - set(numbered))
        if missing:
            raise ConversionError(f'{zip_path}: {folder}/ lacks the files of images {missing[:5]} '
                                  f'(e.g. for {split.images[missing[0]]})')
    return split


def _decode(split: _Split, entry: str, flag: str) -> np.ndarray:
    content = read_entry(split.zf, entry, split.zip_path)
    try:
        return imfrombytes(content, flag=flag, name=f'{entry} in {split.zip_path}')
    except ValueError as e:
        raise ConversionError(str(e)) from e


def _convert_image(split: _Split, number: str, out_root: str, summary: SplitSummary) -> None:
    img = _decode(split, split.images[number], 'color')
    imwrite(img, osp.join(out_root, 'images', split.name, f'{number}.png'))
    summary.images += 1
    for folder, numbered in split.annotations.items():
        entry = numbered[number]
        binary = (_decode(split, entry, 'grayscale') >= 128).astype(np.uint8)
        if binary.shape != img.shape[:2]:
            raise ConversionError(f'{split.zip_path}: {entry} is {binary.shape[1]}x{binary.shape[0]} but its image '
                                  f'{split.images[number]} is {img.shape[1]}x{img.shape[0]} (width x height)')
        out_folder, suffix = KINDS[folder]
        imwrite(binary, osp.join(out_root, out_folder, split.name, f'{number}{suffix}'))
        if folder == '1st_manual':
            summary.labels += 1
        elif folder == '2nd_manual':
            summary.second_labels += 1
        else:
            summary.masks += 1


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _check_output(out_dir: str, force: bool) -> None:
    if osp.isdir(out_dir) and os.listdir(out_dir) and not force:
        raise ConversionError(f'{out_dir} already exists and is not empty; pass --force (force=True) to replace '
                              f'it (it is replaced only once the new data is complete)')
    if osp.exists(out_dir) and not osp.isdir(out_dir):
        raise ConversionError(f'{out_dir} exists and is not a folder')


def _move_into_place(built: str, out_dir: str) -> None:
    """Rename the finished tree to ``out_dir``, replacing an old one only after the new one is in place."""
    parent = osp.dirname(osp.abspath(out_dir))
    if os.stat(built).st_dev != os.stat(parent).st_dev:  # --tmp_dir on another filesystem
        staging = tempfile.mkdtemp(prefix=f'.{osp.basename(out_dir)}.', dir=parent)
        shutil.copytree(built, staging, dirs_exist_ok=True)
        shutil.rmtree(built)
        built = staging
    old = None
    if osp.exists(out_dir):
        old = tempfile.mkdtemp(prefix=f'.{osp.basename(out_dir)}.old.', dir=parent)
        os.rename(out_dir, osp.join(old, 'tree'))
    os.rename(built, out_dir)
    if old is not None:
        shutil.rmtree(old)


def convert_drive(train_zip: str, test_zip: str, out_dir: str = 'data/DRIVE', tmp_dir: Optional[str] = None,
                  force: bool = False, logger=None, progress: bool = True) -> Dict[str, SplitSummary]:
    """Convert DRIVE's ``training.zip`` and ``test.zip``; returns what was written per split.

    The test zip may lack labels (a warning is printed). Raises :class:`ConversionError` naming the
    file or entry for a missing file, a non-zip, missing folders, unsafe entry names, an
    unreadable image or a label whose size differs from its image; nothing is written then.
    ``tmp_dir`` is where the tree is built (default: next to ``out_dir``).
    """
    out_dir = osp.normpath(out_dir)
    _check_output(out_dir, force)
    splits: List[_Split] = []
    try:
        splits.append(_scan_split(train_zip, 'training zip', 'training', 'training', True, logger))
        splits.append(_scan_split(test_zip, 'test zip', 'test', 'validation', False, logger))
        parent = osp.dirname(osp.abspath(out_dir))
        os.makedirs(tmp_dir or parent, exist_ok=True)
        built = tempfile.mkdtemp(prefix=f'.{osp.basename(out_dir)}.tmp.', dir=tmp_dir or parent)
        os.chmod(built, 0o777 & ~_umask())  # mkdtemp makes it private; the output should not be
        try:
            summaries = _convert_all(splits, built, progress)
            _move_into_place(built, out_dir)
            return summaries
        except BaseException:
            shutil.rmtree(built, ignore_errors=True)
            raise
    finally:
        for split in splits:
            split.zf.close()


def _convert_all(splits: List[_Split], out_root: str, progress: bool) -> Dict[str, SplitSummary]:
    work: List[Tuple[_Split, str]] = [(split, number) for split in splits for number in sorted(split.images)]
    summaries = {split.name: SplitSummary() for split in splits}
    for split, number in tqdm(work, desc='converting DRIVE', unit='img', disable=not progress):
        _convert_image(split, number, out_root, summaries[split.name])
    return summaries
