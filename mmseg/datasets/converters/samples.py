"""The conversion every retinal set shares: decode each sample's members, check them, write PNGs.

A dataset converter only lists its :class:`Sample` s (which archive member becomes which output
file); :func:`write_samples` does the rest, the same way for every set::

    out_dir/images/{split}/{stem}.png           BGR image, as cv2.imwrite writes it
    out_dir/annotations/{split}/{stem}{suffix}  one file per observer, 0 background / 1 vessel
    out_dir/masks/{split}/{stem}_mask.png       field of view, 0 outside / 1 inside
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np
from tqdm import tqdm

from mmcv.logging import print_log

from .archive import Archive, ConversionError, Limits
from .decode import decode, read_binary
from .fov import fov_mask_from_image
from .output import OutputTree, prepare_output

MASK_SUFFIX = '_mask.png'


@dataclass
class Source:
    """One member of an archive."""
    archive: Archive
    member: str

    def __str__(self) -> str:
        return f'{self.member} in {self.archive.path}'

    def read(self) -> bytes:
        return self.archive.read(self.member)


@dataclass
class Sample:
    """One image of the output and where its files come from.

    ``labels`` maps an annotation suffix (e.g. '.ah.png') to its source; the first is the primary
    label, the others are further observers. ``mask`` is the official FOV mask; without one the
    mask is derived from the image when ``derive_mask`` is set (see :mod:`.fov`).
    """
    split: str
    stem: str
    image: Source
    labels: Dict[str, Source] = field(default_factory=dict)
    mask: Optional[Source] = None
    derive_mask: bool = False


@dataclass
class SplitSummary:
    """What was written for one split."""
    images: int = 0
    labels: int = 0
    second_labels: int = 0
    masks: int = 0
    derived_masks: int = 0

    def __str__(self) -> str:
        derived = f' ({self.derived_masks} derived from the images)' if self.derived_masks else ''
        return (f'{self.images} images, {self.labels} labels, {self.masks} FOV masks{derived}'
                + (f', {self.second_labels} second-observer labels' if self.second_labels else ''))


@dataclass
class ConvertOptions:
    """What every converter accepts besides its archives (the command lines' common flags).

    ``tmp_dir``: where the tree is built (default: next to ``out_dir``). ``force``: replace a
    non-empty ``out_dir`` that a converter wrote (only once the new tree is complete; see
    :mod:`.output`). ``limits``: entry size and pixel caps. ``label_threshold``: binarize labels at
    this grey level (1..255) instead of refusing maps that are not (near-)binary 0/1 or 0/255.
    ``inputs``: the archives read (set by :meth:`check_output` and :meth:`open`), never inside ``out_dir``.
    """
    out_dir: str
    tmp_dir: Optional[str] = None
    force: bool = False
    limits: Limits = Limits()
    label_threshold: Optional[int] = None
    logger: object = None
    progress: bool = True
    inputs: List[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        value = self.label_threshold
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 255):
            raise ConversionError(f'label_threshold must be a whole grey level in 1..255 (value >= it becomes 1), '
                                  f'got {value!r}')

    def check_output(self, inputs: Sequence[str]) -> None:
        """Refuse an output folder this run may not write (before any work); ``inputs``: all its archives."""
        self.inputs = list(dict.fromkeys([*self.inputs, *inputs]))
        prepare_output(self.out_dir, self.force, self.inputs, self.tmp_dir, self.logger)

    def open(self, path: str, what: str) -> Archive:
        if path not in self.inputs:
            self.inputs.append(path)
        return Archive(path, what, self.limits)


def _binary(source: Source, sample: Sample, img_shape, options: ConvertOptions,
            threshold: Optional[int]) -> np.ndarray:
    """A label or mask as 0/1, checked to match its image's size and to be non-empty; grey pixels are reported."""
    array, grey = read_binary(source.read(), str(source), options.limits, threshold)
    if grey:
        note = f'{source}: {grey} grey pixels ({100 * grey / array.size:.3f}%) binarized at 128 as mmseg 0.x does'
        if options.logger is None:
            tqdm.write(note)  # above the progress bar, not inside it
        else:
            print_log(note, options.logger)
    if array.shape[:2] != img_shape[:2]:
        raise ConversionError(f'{source} is {array.shape[1]}x{array.shape[0]} but its image {sample.image} is '
                              f'{img_shape[1]}x{img_shape[0]} (width x height)')
    if not array.any():
        raise ConversionError(f'{source} is all zero (no vessel / no field of view): an empty map would '
                              f'train and score as "nothing here"; check the file')
    return array


def _write_sample(sample: Sample, tree: OutputTree, options: ConvertOptions, summary: SplitSummary) -> None:
    img = decode(sample.image.read(), 'color', str(sample.image), options.limits)
    tree.write(img, f'images/{sample.split}/{sample.stem}.png')
    summary.images += 1
    for i, (suffix, source) in enumerate(sample.labels.items()):
        label = _binary(source, sample, img.shape, options, options.label_threshold)
        tree.write(label, f'annotations/{sample.split}/{sample.stem}{suffix}')
        if i == 0:
            summary.labels += 1
        else:
            summary.second_labels += 1
    if sample.mask is not None:
        mask = _binary(sample.mask, sample, img.shape, options, None)
    elif sample.derive_mask:
        mask = fov_mask_from_image(img)
        summary.derived_masks += 1
    else:
        return
    tree.write(mask, f'masks/{sample.split}/{sample.stem}{MASK_SUFFIX}')
    summary.masks += 1


def write_samples(samples: List[Sample], options: ConvertOptions, name: str) -> Dict[str, SplitSummary]:
    """Write all samples into ``options.out_dir`` all-or-nothing; returns what was written per split."""
    summaries = {split: SplitSummary() for split in dict.fromkeys(s.split for s in samples)}
    with OutputTree(options.out_dir, options.force, options.tmp_dir, name, options.inputs, options.logger) as tree:
        for sample in tqdm(samples, desc=f'converting {name}', unit='img', disable=not options.progress):
            _write_sample(sample, tree, options, summaries[sample.split])
    if any(s.derived_masks for s in summaries.values()):
        print_log(f'{name}: FOV masks derived from the images (the set has no official ones)', options.logger)
    return summaries
