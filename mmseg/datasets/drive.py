"""DRIVE retinal vessels: 565x584 fundus photographs, background vs vessel, FOV masks for the vessel protocol."""
from .builder import DATASETS
from .custom import CustomDataset


@DATASETS.register_module()
class DRIVEDataset(CustomDataset):
    """DRIVE as written by ``tools/convert_datasets/drive.py``::

        data_root/images/{training,validation}/NN.png
        data_root/annotations/{training,validation}/NN_manual1.png   (0 background, 1 vessel)
        data_root/masks/{training,validation}/NN_mask.png            (FOV: 1 inside)

    Pass ``fov_dir='masks/validation'`` to add FOV-masked Se/Sp/Acc/AUC/F1, clDice and components to the evaluation.
    """
    CLASSES = ('background', 'vessel')
    SECOND_OBSERVER_SUFFIX = '_manual2.png'
    PALETTE = [[120, 120, 120], [6, 230, 230]]
    DATA_HINT = ('Create it from the official zips with '
                 '`python tools/convert_datasets/drive.py training.zip test.zip -o data/DRIVE` '
                 '(or make synthetic zips with `python tools/make_synthetic_drive.py OUT_DIR` first).')

    def __init__(self, **kwargs):
        kwargs.setdefault('img_suffix', '.png')
        kwargs.setdefault('seg_map_suffix', '_manual1.png')
        kwargs.setdefault('fov_suffix', '_mask.png')
        kwargs.setdefault('reduce_zero_label', False)
        super().__init__(**kwargs)
