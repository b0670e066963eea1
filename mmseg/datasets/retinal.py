"""Common ground of the retinal vessel sets converted in mmseg 0.x's layout (STARE, CHASE_DB1, HRF)."""
from typing import Optional

from .custom import CustomDataset


class RetinalVesselDataset(CustomDataset):
    """Background vs vessel, one image per fundus photograph, FOV masks beside the label maps::

        data_root/images/{training,validation}/NAME{IMG_SUFFIX}
        data_root/annotations/{training,validation}/NAME{SEG_MAP_SUFFIX}   (first observer, 0/1)
        data_root/annotations/{training,validation}/NAME{SECOND_OBSERVER_SUFFIX}   (when the set has one)
        data_root/masks/{training,validation}/NAME_mask.png               (FOV: 1 inside)

    As for DRIVE, the first observer is the ground truth; the second observer's files sit beside it and
    are read only by a config that asks for them (``seg_map_suffix=SECOND_OBSERVER_SUFFIX``). Pass
    ``fov_dir='masks/validation'`` to add the FOV-masked Se/Sp/Acc/AUC/F1 to the evaluation. Every
    suffix can be overridden from the config.
    """
    CLASSES = ('background', 'vessel')
    PALETTE = [[120, 120, 120], [6, 230, 230]]
    IMG_SUFFIX = '.png'
    SEG_MAP_SUFFIX = '.png'
    SECOND_OBSERVER_SUFFIX: Optional[str] = None

    def __init__(self, **kwargs):
        kwargs.setdefault('img_suffix', self.IMG_SUFFIX)
        kwargs.setdefault('seg_map_suffix', self.SEG_MAP_SUFFIX)
        kwargs.setdefault('fov_suffix', '_mask.png')
        kwargs.setdefault('reduce_zero_label', False)
        super().__init__(**kwargs)
