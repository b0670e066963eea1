# The shared pipeline and schedule of the UNet++ paper's comparison on DRIVE (configs/unet++/comparison/):
# the recommended CPU recipe (AdamW lr 1e-3, weight decay 0.01, poly decay to 1e-6; DRIVE pipeline with flip +
# RandomRotate90, 64x64 crops) cut to 4k iterations of 4 images as in configs/unet++/ablation/, evaluated once
# at the end. The contestants add only their model.
_base_ = [
    '../../../_base_/datasets/drive.py', '../../../_base_/default_runtime.py',
    '../../../_base_/schedules/schedule_40k.py'
]
data = dict(samples_per_gpu=4, workers_per_gpu=2)
optimizer = dict(_delete_=True, type='AdamW', lr=1e-3, weight_decay=0.01)
lr_config = dict(min_lr=1e-6)
runner = dict(max_iters=4000)
log_config = dict(interval=100)
checkpoint_config = dict(interval=4000, max_keep_ckpts=1)
evaluation = dict(interval=4000, metric='mDice')
