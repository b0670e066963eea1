# Augmentation: resize ratio range 0.75-1.5 instead of 0.5-2.0 (test images are seen at scale 1.0, so the
# widest range trains on vessels thinner and thicker than any at test time).
_base_ = './unet++_r34_4k_drive_cpu_base.py'
train_pipeline = {{_base_.train_pipeline}}
train_pipeline[2] = dict(type='Resize', img_scale=(584, 565), ratio_range=(0.75, 1.5))
data = dict(train=dict(dataset=dict(pipeline=train_pipeline)))
