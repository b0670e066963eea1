# The shared pipeline and schedule of the UNet++ paper's comparison on DRIVE (configs/unet++/comparison/):
# the recommended CPU recipe (AdamW lr 1e-3, weight decay 0.01, poly decay to 1e-6; DRIVE pipeline with flip +
# RandomRotate90, 64x64 crops) cut to 1k iterations of 4 images, evaluated once at the end, so that a 2-core CPU
# trains all four in about an hour (a U-Net-S5-D16 step costs about 3.8x a UNet++ r34 step). The contestants add
# only their model.
_base_ = [
    '../../../_base_/datasets/drive.py', '../../../_base_/default_runtime.py',
    '../../../_base_/schedules/schedule_40k.py'
]
data = dict(samples_per_gpu=4, workers_per_gpu=2)
optimizer = dict(_delete_=True, type='AdamW', lr=1e-3, weight_decay=0.01)
lr_config = dict(min_lr=1e-6)
runner = dict(max_iters=1000)
log_config = dict(interval=100)
checkpoint_config = dict(interval=1000, max_keep_ckpts=1)
evaluation = dict(interval=1000, metric='mDice')
