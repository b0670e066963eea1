"""Convert CHASEDB1.zip into the layout ``ChaseDB1Dataset`` reads.

Output, as mmseg 0.x's ``tools/convert_datasets/chase_db1.py`` writes it (the first 20 images by
name are training, the last 8 validation)::

    out_dir/images/{training,validation}/Image_01L.png
    out_dir/annotations/{training,validation}/Image_01L_1stHO.png   first observer, 0/1
    out_dir/annotations/{training,validation}/Image_01L_2ndHO.png   second observer, 0/1
    out_dir/masks/{training,validation}/Image_01L_mask.png          FOV derived from the image (none ships), 0/1
"""
from typing import Dict

from .archive import match_members
from .samples import ConvertOptions, Sample, Source, SplitSummary, write_samples

CHASE_DB1_IMAGES = tuple(f'Image_{n:02d}{eye}' for n in range(1, 15) for eye in 'LR')
NUM_TRAINING = 20
OBSERVERS = ('_1stHO', '_2ndHO')


def convert_chase_db1(zip_path: str, out_dir: str = 'data/CHASE_DB1', **options) -> Dict[str, SplitSummary]:
    """Convert the official CHASEDB1.zip (28 JPEGs, two PNG labels each); ``options``: :class:`ConvertOptions`."""
    opts = ConvertOptions(out_dir=out_dir, **options)
    opts.check_output([zip_path])
    with opts.open(zip_path, 'CHASE_DB1 zip') as archive:
        names = [f'{stem}{suffix}' for stem in CHASE_DB1_IMAGES
                 for suffix in ('.jpg', *(f'{o}.png' for o in OBSERVERS))]
        members = match_members(archive, names)
        samples = [Sample('training' if i < NUM_TRAINING else 'validation', stem,
                          Source(archive, members[f'{stem}.jpg']),
                          {f'{o}.png': Source(archive, members[f'{stem}{o}.png']) for o in OBSERVERS},
                          derive_mask=True)
                   for i, stem in enumerate(CHASE_DB1_IMAGES)]
        return write_samples(samples, opts, 'CHASE_DB1')
