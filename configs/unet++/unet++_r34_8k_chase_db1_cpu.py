# CHASE_DB1 on a 2-core CPU: the DRIVE CPU recipe (AdamW lr 1e-3, weight decay 0.01, poly decay to 1e-6,
# RandomRotate90 after the flip) at mmseg 0.x's CHASE_DB1 crops (128x128, batch 4) and slide windows (128,
# stride 85), under AmpOptimizerHook dtype='auto': bf16 autocast where the CPU has AMX-BF16/AVX512-BF16 and it
# measures faster (on a 2-core AMD EPYC with AVX512-BF16 the bf16 step was 1.53x faster at batch 8 of 128x128
# and 1.41x at batch 4 of 64x64: results/bench/model_speed_*_epyc.json), float32 elsewhere; the log says which.
# 8k iterations, evaluated at 4k and 8k.
# Reproduce:
#   python tools/convert_datasets/chase_db1.py CHASEDB1.zip -o data/CHASE_DB1
#   python tools/train.py configs/unet++/unet++_r34_8k_chase_db1_cpu.py --seed 0
_base_ = [
    '../_base_/models/unet++_r34.py', '../_base_/datasets/chase_db1.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_40k.py'
]
train_pipeline = {{_base_.train_pipeline}}
_after_flip = [t['type'] for t in train_pipeline].index('RandomFlip') + 1  # with the flip: all 8 symmetries
train_pipeline.insert(_after_flip, dict(type='RandomRotate90', prob=0.75))
data = dict(samples_per_gpu=4, workers_per_gpu=2, train=dict(dataset=dict(pipeline=train_pipeline)))
model = dict(test_cfg=dict(mode='slide', crop_size=(128, 128), stride=(85, 85)))
optimizer = dict(_delete_=True, type='AdamW', lr=1e-3, weight_decay=0.01)
optimizer_config = dict(_delete_=True, type='AmpOptimizerHook', dtype='auto')
lr_config = dict(min_lr=1e-6)
runner = dict(max_iters=8000)
log_config = dict(interval=100)
checkpoint_config = dict(interval=4000, max_keep_ckpts=1)
evaluation = dict(interval=4000, metric='mDice')
