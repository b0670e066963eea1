# STARE tested at DRIVE's scale: each validation image is rescaled so that its field of view (measured on its FOV
# mask) is 540 px across, DRIVE's FOV diameter; predictions return to the original size for the metrics. For
# models trained on DRIVE (or with FOVRescale(diameter=540) in training):
#   python tools/test.py DRIVE_CONFIG CKPT --eval mDice --test-set configs/_base_/datasets/stare_fov540.py
_base_ = './stare.py'
_inner = {{_base_.test_pipeline}}[1]['transforms']
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadFOVMask'),
    dict(type='FOVRescale', diameter=540),
    # img_scale=None, img_ratios=[1.0]: the inner Resize keeps the rescaled size (--aug-test sets the ratios)
    dict(type='MultiScaleFlipAug', img_scale=None, img_ratios=[1.0], flip=False, transforms=_inner)
]
data = dict(val=dict(pipeline=test_pipeline), test=dict(pipeline=test_pipeline))
