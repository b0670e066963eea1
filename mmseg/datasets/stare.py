"""STARE retinal vessels: 20 fundus photographs of 700x605, labelled by two observers (ah, vk)."""
from .builder import DATASETS
from .retinal import RetinalVesselDataset


@DATASETS.register_module()
class STAREDataset(RetinalVesselDataset):
    """STARE in mmseg 0.x's layout: ``images/.../im0001.png``, ``annotations/.../im0001.ah.png`` (first
    observer, Adam Hoover) and ``im0001.vk.png`` (second, Valentina Kouznetsova), ``masks/.../im0001_mask.png``.
    """
    SEG_MAP_SUFFIX = '.ah.png'
    SECOND_OBSERVER_SUFFIX = '.vk.png'
    DATA_HINT = ('Create it from stare-images.tar, labels-ah.tar and labels-vk.tar with the STARE converter '
                 '(tools/convert_datasets/stare.py) into data/STARE.')
