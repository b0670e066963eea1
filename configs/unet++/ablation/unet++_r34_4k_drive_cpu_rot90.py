# Augmentation: a random multiple-of-90-degree rotation after the horizontal flip (all eight symmetries of the
# square crop), on top of the base pipeline.
_base_ = './unet++_r34_4k_drive_cpu_base.py'
train_pipeline = {{_base_.train_pipeline}}
train_pipeline.insert(5, dict(type='RandomRotate90', prob=0.75))  # after RandomFlip
data = dict(train=dict(dataset=dict(pipeline=train_pipeline)))
