# Augmentation: a random multiple-of-90-degree rotation after the horizontal flip (all eight symmetries of the
# square crop), on top of the base pipeline.
_base_ = './unet++_r34_4k_drive_cpu_base.py'
train_pipeline = {{_base_.train_pipeline}}
_after_flip = [t['type'] for t in train_pipeline].index('RandomFlip') + 1  # right after the horizontal flip
train_pipeline.insert(_after_flip, dict(type='RandomRotate90', prob=0.75))
data = dict(train=dict(dataset=dict(pipeline=train_pipeline)))
