# HRF on a 2-core CPU at half resolution: the CHASE_DB1 CPU recipe (AdamW lr 1e-3, poly to 1e-6, RandomRotate90,
# 128x128 crops of batch 4, AmpOptimizerHook dtype='auto') on mmseg 0.x's HRF pipelines with the image scale
# halved: 3504x2336 images resized around 1752x1168 for training (ratio 0.5-2.0, as mmseg 0.x around full size)
# and tested at 1752x1168 (datasets/hrf_half.py) with 128x128 windows at stride 85. Predictions are resized back to 3504x2336 (rescale)
# and scored at full resolution against the official labels and FOV masks. Why half: HRF's vessels are about
# twice as wide in pixels as DRIVE's/CHASE's, so at half scale a 128x128 crop holds a similar stretch of vessel
# tree, and a test image costs 4x fewer windows.
# Reproduce:
#   python tools/convert_datasets/hrf.py healthy.zip healthy_manualsegm.zip glaucoma.zip \
#       glaucoma_manualsegm.zip diabetic_retinopathy.zip diabetic_retinopathy_manualsegm.zip -o data/HRF \
#       --fov-masks healthy_fovmask.zip glaucoma_fovmask.zip diabetic_retinopathy_fovmask.zip  (official FOV masks)
#   python tools/train.py configs/unet++/unet++_r34_8k_hrf_cpu_half.py --seed 0
_base_ = [
    '../_base_/models/unet++_r34.py', '../_base_/datasets/hrf_half.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_40k.py'
]
half_scale = {{_base_.half_scale}}  # the inference scale of datasets/hrf_half.py
crop_size = (128, 128)
_sized = dict(Resize=dict(img_scale=half_scale), RandomCrop=dict(crop_size=crop_size), Pad=dict(size=crop_size))
train_pipeline = [dict(t, **_sized.get(t['type'], {})) for t in {{_base_.train_pipeline}}]
_after_flip = [t['type'] for t in train_pipeline].index('RandomFlip') + 1  # with the flip: all 8 symmetries
train_pipeline.insert(_after_flip, dict(type='RandomRotate90', prob=0.75))
data = dict(samples_per_gpu=4, workers_per_gpu=2, train=dict(dataset=dict(pipeline=train_pipeline)))
# bf16 inference where the CPU has native bf16 (metrics within 0.01 mDice of float32: bench/eval_speed.py)
model = dict(test_cfg=dict(mode='slide', crop_size=(128, 128), stride=(85, 85), autocast='auto'))
channels_last = True  # training and test: 1.17x faster bf16 step at batch 4 of 128x128 on a 2-core AMD EPYC
optimizer = dict(_delete_=True, type='AdamW', lr=1e-3, weight_decay=0.01)
optimizer_config = dict(_delete_=True, type='AmpOptimizerHook', dtype='auto')
lr_config = dict(min_lr=1e-6)
runner = dict(max_iters=8000)
log_config = dict(interval=100)
checkpoint_config = dict(interval=4000, max_keep_ckpts=1)
evaluation = dict(interval=4000, metric='mDice')
