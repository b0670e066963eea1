"""mmseg: semantic segmentation (UNet++ for retinal vessels first) on top of mmcv."""


def __getattr__(name):
    if name == '__version__':  # one project, one version: the release plus the git commit (mmcv/version.py)
        from mmcv.version import full_version
        return full_version()
    raise AttributeError(f"module 'mmseg' has no attribute {name!r}")
