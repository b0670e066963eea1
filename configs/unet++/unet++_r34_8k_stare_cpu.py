# STARE on a 2-core CPU, the DRIVE CPU recipe (unet++_r34_16k_drive_cpu_adamw_rot90.py) carried over: AdamW
# (lr 1e-3, weight decay 0.01, poly decay to 1e-6), RandomRotate90 after the flip, 64x64 crops of batch 4, 2
# workers, slide inference with 64x64 windows at stride 42. STARE has 10 training images (DRIVE 20), so half the
# iterations; evaluated and checkpointed midway and at the end. Reproduce:
#   (convert STARE into data/STARE with the STARE converter)
#   python tools/train.py configs/unet++/unet++_r34_8k_stare_cpu.py --seed 0
_base_ = [
    '../_base_/models/unet++_r34.py', '../_base_/datasets/stare.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_40k.py'
]
crop_size = (64, 64)
_sized = dict(RandomCrop=dict(crop_size=crop_size), Pad=dict(size=crop_size))
train_pipeline = [dict(t, **_sized.get(t['type'], {})) for t in {{_base_.train_pipeline}}]
_after_flip = [t['type'] for t in train_pipeline].index('RandomFlip') + 1  # with the flip: all 8 symmetries
train_pipeline.insert(_after_flip, dict(type='RandomRotate90', prob=0.75))
data = dict(samples_per_gpu=4, workers_per_gpu=2, train=dict(dataset=dict(pipeline=train_pipeline)))
model = dict(test_cfg=dict(mode='slide', crop_size=(64, 64), stride=(42, 42)))
optimizer = dict(_delete_=True, type='AdamW', lr=1e-3, weight_decay=0.01)
lr_config = dict(min_lr=1e-6)
runner = dict(max_iters=8000)
log_config = dict(interval=100)
checkpoint_config = dict(interval=4000, max_keep_ckpts=1)
evaluation = dict(interval=4000, metric='mDice')
