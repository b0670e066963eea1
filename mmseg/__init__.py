"""mmseg: semantic segmentation (UNet++ for retinal vessels first) on top of mmcv."""
__version__ = '0.1.0'
