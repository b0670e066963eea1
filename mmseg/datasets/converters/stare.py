"""Convert STARE's three tars (stare-images.tar, labels-ah.tar, labels-vk.tar) into the layout ``STAREDataset`` reads.

Output, as mmseg 0.x's ``tools/convert_datasets/stare.py`` writes it (the first 10 names in sorted
order are training, the last 10 validation)::

    out_dir/images/{training,validation}/im0001.png
    out_dir/annotations/{training,validation}/im0001.ah.png   first observer (A. Hoover), 0/1
    out_dir/annotations/{training,validation}/im0001.vk.png   second observer (V. Kouznetsova), 0/1
    out_dir/masks/{training,validation}/im0001_mask.png       FOV derived from the image (STARE has none), 0/1
"""
from typing import Dict

from .samples import ConvertOptions, Sample, Source, SplitSummary, write_samples
from .archive import match_members

# The 20 images of STARE's vessel-segmentation page, sorted.
STARE_IMAGES = tuple(f'im{n:04d}' for n in (1, 2, 3, 4, 5, 44, 77, 81, 82, 139, 162, 163, 235, 236, 239, 240,
                                            255, 291, 319, 324))
NUM_TRAINING = 10
OBSERVERS = ('ah', 'vk')


def convert_stare(images_tar: str, labels_ah_tar: str, labels_vk_tar: str, out_dir: str = 'data/STARE',
                  **options) -> Dict[str, SplitSummary]:
    """Convert the official STARE tars; ``options`` are :class:`ConvertOptions` fields (force, tmp_dir, ...).

    Each tar must hold exactly its 20 official ``.ppm.gz`` members; a missing, extra or swapped one
    is a :class:`ConversionError` naming it, and nothing is written.
    """
    opts = ConvertOptions(out_dir=out_dir, **options)
    opts.check_output([images_tar, labels_ah_tar, labels_vk_tar])
    with opts.open(images_tar, 'STARE image tar') as images, \
            opts.open(labels_ah_tar, 'STARE labels-ah tar') as ah, \
            opts.open(labels_vk_tar, 'STARE labels-vk tar') as vk:
        image_members = match_members(images, [f'{stem}.ppm.gz' for stem in STARE_IMAGES])
        label_members = {observer: match_members(archive, [f'{stem}.{observer}.ppm.gz' for stem in STARE_IMAGES])
                         for observer, archive in zip(OBSERVERS, (ah, vk))}
        samples = []
        for i, stem in enumerate(STARE_IMAGES):
            labels = {f'.{observer}.png': Source(archive, label_members[observer][f'{stem}.{observer}.ppm.gz'])
                      for observer, archive in zip(OBSERVERS, (ah, vk))}
            samples.append(Sample('training' if i < NUM_TRAINING else 'validation', stem,
                                  Source(images, image_members[f'{stem}.ppm.gz']), labels, derive_mask=True))
        return write_samples(samples, opts, 'STARE')
