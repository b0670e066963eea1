"""Checks the converter tests share: output listings, mmseg 0.x's PNG bytes for a member, derived FOV masks."""
import json
import os
import os.path as osp
from typing import Iterable, Optional, Tuple

import cv2
import pytest

from mmcv.image import imread


def tree(root) -> list:
    """Relative paths of all files under ``root``, sorted."""
    return sorted(osp.relpath(osp.join(d, f), root) for d, _, files in os.walk(root) for f in files)


def converted_files(out) -> list:
    """The data files of a converted folder (sorted), checked to be exactly what its manifest lists."""
    from mmseg.datasets.converters.output import MANIFEST
    files = [f for f in tree(out) if f != MANIFEST]
    with open(osp.join(out, MANIFEST)) as f:
        assert sorted(json.load(f)['files']) == files
    return files


def mmseg_0x_png(content: bytes, label: bool, work: str) -> bytes:
    """The PNG bytes mmseg 0.x's retinal converters write for one (decompressed) archive member: mmcv.imread
    (cv2, colour) of the extracted file, labels as ``[:, :, 0] // 128``, mmcv.imwrite (cv2)."""
    member, ref = osp.join(work, 'member'), osp.join(work, 'ref.png')
    with open(member, 'wb') as f:
        f.write(content)
    img = cv2.imread(member, cv2.IMREAD_COLOR)
    cv2.imwrite(ref, img[:, :, 0] // 128 if label else img)
    with open(ref, 'rb') as f:
        return f.read()


def check_derived_fov(out, samples: Iterable[Tuple[str, str, Tuple[str, ...]]], fov_range: Tuple[float, float],
                      max_outside: float) -> None:
    """Each ``(split, stem, label suffixes)``: the FOV covers ``fov_range`` of the image and leaves out at most
    ``max_outside`` of each label's vessel pixels."""
    for split, stem, suffixes in samples:
        mask = imread(osp.join(out, 'masks', split, f'{stem}_mask.png'), flag='unchanged')
        assert fov_range[0] < mask.mean() < fov_range[1], stem
        for suffix in suffixes:
            label = imread(osp.join(out, 'annotations', split, f'{stem}{suffix}'), flag='unchanged')
            assert label[mask == 0].sum() < max_outside * label.sum(), (stem, suffix)


REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def real_data_dir(dataset: str, names: Iterable[str]) -> Optional[str]:
    """The folder holding a real set's archives ``names``: $<DATASET>_DIR, else ../shared/data/<DATASET> beside the
    repository; None when neither has them all (the real-data tests then skip)."""
    names = list(names)
    for path in (os.environ.get(f'{dataset}_DIR'), osp.join(REPO, '..', 'shared', 'data', dataset)):
        if path and all(osp.isfile(osp.join(path, name)) for name in names):
            return path
    return None


def needs_real_data(dataset: str, names: Iterable[str]):
    """A skipif mark for a test of the real ``dataset`` archives, with the reason and how to provide them."""
    names = list(names)
    return pytest.mark.skipif(real_data_dir(dataset, names) is None,
                              reason=f'real {dataset} archives ({", ".join(names[:2])}, ...) not found: set '
                                     f'{dataset}_DIR or put them in ../shared/data/{dataset}')
