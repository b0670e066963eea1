"""Convert the official DRIVE zips into the folder layout that ``DRIVEDataset`` reads.

Output (NN = the two-digit image number)::

    out_dir/images/{training,validation}/NN.png              RGB fundus images
    out_dir/annotations/{training,validation}/NN_manual1.png   first observer, 0 background / 1 vessel
    out_dir/annotations/validation/NN_manual2.png             second observer (when the zip has it)
    out_dir/masks/{training,validation}/NN_mask.png           field of view, 0 outside / 1 inside

Each zip's own folder name (``training/`` or ``test/``, else the image names ``21_training.tif``)
must match the place it is given in, so swapped zips or the same zip twice are refused.
"""
import posixpath
import re
from typing import Dict, List, Optional

from mmcv.logging import print_log

from .archive import Archive, ConversionError
from .samples import ConvertOptions, Sample, Source, SplitSummary, write_samples

# zip folder -> output annotation suffix, in the order the sample lists them (first = primary label)
LABEL_FOLDERS = {'1st_manual': '_manual1.png', '2nd_manual': '_manual2.png'}
MASK_FOLDER = 'mask'
IMAGE_SUFFIXES = ('.tif', '.tiff', '.png', '.jpg', '.jpeg', '.ppm', '.bmp')
DRIVE_SPLITS = ('training', 'test')


def find_root(files: List[str], marker: str, prefer: str, label: str) -> str:
    """The folder holding ``marker``/ (e.g. 'images'), whatever folders sit above it.

    With several candidates the one named ``prefer`` (e.g. 'training') wins; otherwise it is an error.
    """
    roots = sorted({posixpath.dirname(posixpath.dirname(f)) for f in files
                    if posixpath.basename(posixpath.dirname(f)) == marker})
    if len(roots) == 1:
        return roots[0]
    preferred = [r for r in roots if posixpath.basename(r) == prefer]
    if len(preferred) == 1:
        return preferred[0]
    if not roots:
        raise ConversionError(f'{label} has no {marker}/ folder (expected e.g. {prefer}/{marker}/...)')
    raise ConversionError(f'{label} has several {marker}/ folders ({", ".join(r or "." for r in roots)}); '
                          f'expected one, or one under a folder named {prefer!r}')


def files_by_folder(files: List[str], root: str) -> Dict[str, List[str]]:
    """Files directly inside each sub-folder of ``root``: {'images': [...], 'mask': [...], ...}."""
    grouped: Dict[str, List[str]] = {}
    prefix = f'{root}/' if root else ''
    for f in files:
        if f.startswith(prefix):
            rest = f[len(prefix):].split('/')
            if len(rest) == 2:
                grouped.setdefault(rest[0], []).append(f)
    return grouped


def _number(entry: str) -> Optional[str]:
    match = re.match(r'^(\d+)_', posixpath.basename(entry))
    return f'{int(match.group(1)):02d}' if match else None


def _by_number(entries: List[str], label: str, folder: str) -> Dict[str, str]:
    numbered: Dict[str, str] = {}
    for entry in entries:
        number = _number(entry)
        if number is None:
            raise ConversionError(f'{label}: cannot tell the image number of {entry} '
                                  f'(expected names like 21_training.tif in {folder}/)')
        if number in numbered:
            raise ConversionError(f'{label}: {numbered[number]} and {entry} both have number {number}')
        numbered[number] = entry
    return numbered


def _check_split_name(archive: Archive, root: str, images: List[str], zip_split: str) -> None:
    """Refuse DRIVE's test zip given as the training zip (or the reverse, or one zip twice)."""
    found = posixpath.basename(root)
    if found not in DRIVE_SPLITS:
        names = {m.group(1) for m in (re.search(r'_(training|test)\.', posixpath.basename(i)) for i in images) if m}
        found = names.pop() if len(names) == 1 else None
    if found is not None and found != zip_split:
        raise ConversionError(f'{archive.label} holds DRIVE\'s {found} set ({images[0]}), not the {zip_split} '
                              f'set: give training.zip first and test.zip second')


def _scan_split(archive: Archive, zip_split: str, out_split: str, labels_required: bool, logger) -> List[Sample]:
    files = archive.files
    root = find_root(files, 'images', zip_split, archive.label)
    folders = files_by_folder(files, root)
    images = sorted(f for f in folders.get('images', []) if f.lower().endswith(IMAGE_SUFFIXES))
    if not images:
        raise ConversionError(f'{archive.label}: no images in {root}/images/ (expected e.g. 21_{zip_split}.tif)')
    _check_split_name(archive, root, images, zip_split)
    numbered_images = _by_number(images, archive.label, 'images')
    annotations = {folder: _by_number(folders[folder], archive.label, folder)
                   for folder in (*LABEL_FOLDERS, MASK_FOLDER) if folder in folders}
    if '1st_manual' not in annotations:
        if labels_required:
            raise ConversionError(f'{archive.label}: no {root}/1st_manual/ folder with the vessel labels')
        print_log(f'warning: {archive.path} has no 1st_manual/ folder: {out_split} images are converted without '
                  f'labels, so they cannot be used for validation until labels are added', logger)
    if MASK_FOLDER not in annotations:
        print_log(f'warning: {archive.path} has no mask/ folder: no FOV masks for {out_split}', logger)
    for folder, numbered in annotations.items():
        for number, entry in numbered.items():
            if number not in numbered_images:
                raise ConversionError(f'{archive.label}: {entry} has no image with number {number} in images/')
        missing = sorted(set(numbered_images) - set(numbered))
        if missing:
            raise ConversionError(f'{archive.label}: {folder}/ lacks the files of images {missing[:5]} '
                                  f'(e.g. for {numbered_images[missing[0]]})')
    samples = []
    for number, entry in sorted(numbered_images.items()):
        labels = {suffix: Source(archive, annotations[folder][number])
                  for folder, suffix in LABEL_FOLDERS.items() if folder in annotations}
        mask = Source(archive, annotations[MASK_FOLDER][number]) if MASK_FOLDER in annotations else None
        samples.append(Sample(out_split, number, Source(archive, entry), labels, mask))
    return samples


def convert_drive(train_zip: str, test_zip: str, out_dir: str = 'data/DRIVE', **options) -> Dict[str, SplitSummary]:
    """Convert DRIVE's ``training.zip`` and ``test.zip``; returns what was written per split.

    ``options`` are :class:`ConvertOptions` fields (tmp_dir, force, logger, progress, limits,
    label_threshold). The test zip may lack labels (a warning is printed). Raises
    :class:`ConversionError` naming the file or entry for a missing file, a non-archive, missing
    folders, swapped zips, unsafe entries, an unreadable image, a label that is not binary or is
    empty, or a label whose size differs from its image; nothing is written then.
    """
    opts = ConvertOptions(out_dir=out_dir, **options)
    opts.check_output([train_zip, test_zip])
    with opts.open(train_zip, 'training zip') as train, opts.open(test_zip, 'test zip') as test:
        samples = (_scan_split(train, 'training', 'training', True, opts.logger)
                   + _scan_split(test, 'test', 'validation', False, opts.logger))
        return write_samples(samples, opts, 'DRIVE')
