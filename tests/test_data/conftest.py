"""Small synthetic DRIVE data shared by the data tests (100x96 images: fast to make and read)."""
import os.path as osp

import numpy as np
import pytest

from mmseg.datasets.pipelines.loading import set_image

SIZE = (100, 96)  # (w, h)


@pytest.fixture(scope='session')
def drive_root(synthetic_drive) -> str:
    """A converted synthetic DRIVE tree: 4 training and 3 validation images of 100x96."""
    return synthetic_drive(num_train=4, num_test=3, size=SIZE, seed=1)


@pytest.fixture
def results_of(drive_root):
    """``results_of(name)``: the results dict of a training image as a dataset hands it to the pipeline."""

    def make(name: str = '21') -> dict:
        return dict(img_info=dict(filename=f'{name}.png', ann=dict(seg_map=f'{name}_manual1.png')),
                    ann_info=dict(seg_map=f'{name}_manual1.png'),
                    img_prefix=osp.join(drive_root, 'images', 'training'),
                    seg_prefix=osp.join(drive_root, 'annotations', 'training'), seg_fields=[])

    return make


@pytest.fixture
def sample():
    """A loaded sample: random BGR image (60x80) and a label map with classes 0, 1 and some 255."""
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    seg = (rng.random((60, 80)) < 0.3).astype(np.uint8)
    seg[:3] = 255
    results = set_image(dict(gt_semantic_seg=seg, seg_fields=['gt_semantic_seg']), img, 'x.png', 'x.png')
    return results
