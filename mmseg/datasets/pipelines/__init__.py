"""Data transforms, registered in ``PIPELINES`` and chained by ``Compose``."""
from .compose import Compose
from .fov import FOVRescale, LoadFOVMask
from .formatting import Collect, DefaultFormatBundle, ImageToTensor, to_tensor
from .geometric import RandomRotate, SegRescale
from .loading import LoadAnnotations, LoadImageFromFile, LoadImageFromWebcam
from .photometric import CLAHE, AdjustGamma, Rerange, RGB2Gray
from .test_time_aug import MultiScaleFlipAug
from .transforms import (Normalize, Pad, PhotoMetricDistortion, RandomCrop, RandomFlip, RandomRotate90,
                         Resize)

__all__ = [
    'Compose', 'Collect', 'DefaultFormatBundle', 'ImageToTensor', 'to_tensor', 'LoadAnnotations',
    'LoadImageFromFile', 'LoadImageFromWebcam', 'MultiScaleFlipAug', 'Normalize', 'Pad',
    'PhotoMetricDistortion', 'RandomCrop', 'RandomFlip', 'RandomRotate90', 'Resize', 'CLAHE', 'AdjustGamma',
    'Rerange', 'RGB2Gray', 'RandomRotate', 'SegRescale', 'LoadFOVMask', 'FOVRescale'
]
