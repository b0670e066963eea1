"""CHASE_DB1 retinal vessels: 28 fundus photographs of 999x960 (both eyes of 14 children), two observers."""
from .builder import DATASETS
from .retinal import RetinalVesselDataset


@DATASETS.register_module()
class ChaseDB1Dataset(RetinalVesselDataset):
    """CHASE_DB1 in mmseg 0.x's layout: ``images/.../Image_01L.png``, ``annotations/.../Image_01L_1stHO.png``
    (first observer) and ``Image_01L_2ndHO.png`` (second), ``masks/.../Image_01L_mask.png``.
    """
    SEG_MAP_SUFFIX = '_1stHO.png'
    SECOND_OBSERVER_SUFFIX = '_2ndHO.png'
    DATA_HINT = ('Create it from CHASEDB1.zip with the CHASE_DB1 converter (tools/convert_datasets/chase_db1.py) '
                 'into data/CHASE_DB1.')
