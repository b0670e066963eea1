"""Convert HRF's six zips (images and manual segmentations of the healthy, glaucoma and diabetic retinopathy
sets; optionally the three FOV-mask zips) into the layout ``HRFDataset`` reads.

Output, as mmseg 0.x's ``tools/convert_datasets/hrf.py`` writes it (of each set's 15 images the first
5 by name are training, the last 10 validation: 15 / 30)::

    out_dir/images/{training,validation}/01_h.png
    out_dir/annotations/{training,validation}/01_h.png   0 background / 1 vessel
    out_dir/masks/{training,validation}/01_h_mask.png    official FOV mask if given, else derived from the image
"""
from contextlib import ExitStack
from typing import Dict, List, Optional, Sequence

from .archive import ConversionError, match_members
from .samples import ConvertOptions, Sample, Source, SplitSummary, write_samples

# set name (as in the zip names) -> (file tag, image suffix as the official zip spells it)
HRF_SETS = {'healthy': ('h', '.jpg'), 'glaucoma': ('g', '.jpg'), 'diabetic_retinopathy': ('dr', '.JPG')}
IMAGES_PER_SET = 15
NUM_TRAINING_PER_SET = 5


def hrf_stems(tag: str) -> List[str]:
    return [f'{n:02d}_{tag}' for n in range(1, IMAGES_PER_SET + 1)]


def convert_hrf(image_zips: Sequence[str], label_zips: Sequence[str], out_dir: str = 'data/HRF',
                mask_zips: Optional[Sequence[str]] = None, **options) -> Dict[str, SplitSummary]:
    """Convert HRF; each sequence lists the healthy, glaucoma and diabetic_retinopathy zips in that order.

    ``mask_zips`` are the official ``*_fovmask.zip`` (members ``01_h_mask.tif``); without them the
    FOV masks are derived from the images. ``options``: :class:`ConvertOptions` fields.
    """
    groups = {'image zips': image_zips, 'label zips': label_zips}
    if mask_zips is not None:
        groups['FOV-mask zips'] = mask_zips
    for what, zips in groups.items():
        if len(zips) != len(HRF_SETS):
            raise ConversionError(f'HRF needs {len(HRF_SETS)} {what} ({", ".join(HRF_SETS)}), got {len(zips)}')
    opts = ConvertOptions(out_dir=out_dir, **options)
    opts.check_output([*image_zips, *label_zips, *(mask_zips or [])])
    with ExitStack() as stack:
        samples = []
        for i, (name, (tag, suffix)) in enumerate(HRF_SETS.items()):
            stems = hrf_stems(tag)
            images = stack.enter_context(opts.open(image_zips[i], f'HRF {name} image zip'))
            labels = stack.enter_context(opts.open(label_zips[i], f'HRF {name} label zip'))
            image_members = match_members(images, [f'{s}{suffix}' for s in stems])
            label_members = match_members(labels, [f'{s}.tif' for s in stems])
            mask_sources = {}
            if mask_zips is not None:
                masks = stack.enter_context(opts.open(mask_zips[i], f'HRF {name} FOV-mask zip'))
                found = match_members(masks, [f'{s}_mask.tif' for s in stems])
                mask_sources = {s: Source(masks, found[f'{s}_mask.tif']) for s in stems}
            for j, stem in enumerate(stems):
                samples.append(Sample('training' if j < NUM_TRAINING_PER_SET else 'validation', stem,
                                      Source(images, image_members[f'{stem}{suffix}']),
                                      {'.png': Source(labels, label_members[f'{stem}.tif'])},
                                      mask_sources.get(stem), derive_mask=mask_zips is None))
        samples.sort(key=lambda s: s.split != 'training')  # training first; stable within a split
        return write_samples(samples, opts, 'HRF')
