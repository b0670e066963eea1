"""HRF (High-Resolution Fundus) retinal vessels: 45 photographs of 3504x2336 (healthy, glaucoma, diabetic)."""
from .builder import DATASETS
from .retinal import RetinalVesselDataset


@DATASETS.register_module()
class HRFDataset(RetinalVesselDataset):
    """HRF in mmseg 0.x's layout: ``images/.../01_h.png``, ``annotations/.../01_h.png`` (one observer, 0/1),
    ``masks/.../01_h_mask.png``. Test these large images in slide mode (windows are batched, memory bounded).
    """
    SEG_MAP_SUFFIX = '.png'
    DATA_HINT = ('Create it from the HRF zips (healthy, glaucoma, diabetic_retinopathy and their manual1 and '
                 'mask zips) with the HRF converter (tools/convert_datasets/hrf.py) into data/HRF.')
