"""Small fake retinal trees in the converters' (mmseg 0.x's) layout, for tests that must not need real data.

``write_retinal_tree(root, 'STARE')`` writes images/, annotations/ (both observers where the set has two)
and masks/ for the training and validation splits, with each set's own file names and suffixes.
"""
import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

# set -> (training names, validation names, first observer suffix, second observer suffix or None)
LAYOUTS: Dict[str, Tuple[List[str], List[str], str, str]] = {
    'DRIVE': (['21', '22', '23'], ['01', '02'], '_manual1.png', '_manual2.png'),
    'STARE': (['im0001', 'im0002', 'im0003'], ['im0081', 'im0082'], '.ah.png', '.vk.png'),
    'CHASE_DB1': (['Image_01L', 'Image_01R', 'Image_02L'], ['Image_12L', 'Image_12R'], '_1stHO.png', '_2ndHO.png'),
    'HRF': (['01_h', '01_g', '01_dr'], ['02_h', '02_g'], '.png', None),
}
DATASET_TYPES = {'DRIVEDataset': 'DRIVE', 'STAREDataset': 'STARE', 'ChaseDB1Dataset': 'CHASE_DB1',
                 'HRFDataset': 'HRF'}


def fundus(size: Tuple[int, int], seed: int, fov_diameter: float = 0.9) -> Tuple[np.ndarray, ...]:
    """(BGR image, vessels 0/1, second observer 0/1, FOV 0/1) of ``size`` (w, h): a bright disc of
    ``fov_diameter`` x width on black, crossed by dark lines inside it."""
    w, h = size
    rng = np.random.default_rng(seed)
    fov = np.zeros((h, w), np.uint8)
    cv2.circle(fov, (w // 2, h // 2), int(round(fov_diameter * w / 2)), 1, -1)
    vessels = np.zeros((h, w), np.uint8)
    for _ in range(6):
        p, q = rng.integers(0, [w, h], size=(2, 2))
        cv2.line(vessels, tuple(map(int, p)), tuple(map(int, q)), 1, int(rng.integers(1, 4)))
    vessels &= fov
    second = vessels.copy()
    second[: h // 8] = 0  # a second observer that disagrees in one band
    img = np.zeros((h, w, 3), np.uint8)
    img[fov > 0] = (40, 90, 170)
    img[vessels > 0] = (20, 40, 90)
    img = np.clip(img.astype(np.int16) + rng.integers(-8, 9, img.shape) * fov[..., None], 0, 255).astype(np.uint8)
    return img, vessels, second, fov


def write_retinal_tree(root: str, dataset: str, size: Tuple[int, int] = (80, 72), num_train: int = 2,
                       num_val: int = 1, seed: int = 0) -> str:
    """Write the fake tree of ``dataset`` ('DRIVE', 'STARE', 'CHASE_DB1' or 'HRF') under ``root``."""
    train, val, first_suffix, second_suffix = LAYOUTS[dataset]
    for split, names in (('training', train[:num_train]), ('validation', val[:num_val])):
        for sub in ('images', 'annotations', 'masks'):
            os.makedirs(osp.join(root, sub, split), exist_ok=True)
        for i, name in enumerate(names):
            img, vessels, second, fov = fundus(size, seed * 100 + i + (50 if split == 'validation' else 0))
            cv2.imwrite(osp.join(root, 'images', split, name + '.png'), img)
            cv2.imwrite(osp.join(root, 'annotations', split, name + first_suffix), vessels)
            if second_suffix:
                cv2.imwrite(osp.join(root, 'annotations', split, name + second_suffix), second)
            cv2.imwrite(osp.join(root, 'masks', split, name + '_mask.png'), fov)
    return root


def dataset_configs(cfg) -> Sequence[dict]:
    """Every leaf dataset config (with a ``type`` of a dataset class) inside ``cfg`` (wrappers, lists)."""
    if isinstance(cfg, (list, tuple)):
        return [leaf for c in cfg for leaf in dataset_configs(c)]
    if cfg.get('type') == 'RepeatDataset':
        return dataset_configs(cfg['dataset'])
    if cfg.get('type') == 'ConcatDataset':
        return dataset_configs(cfg['datasets'])
    return [cfg]
