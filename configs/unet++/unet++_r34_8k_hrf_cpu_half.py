# HRF on a 2-core CPU at half resolution: the CHASE_DB1 CPU recipe (AdamW lr 1e-3, poly to 1e-6, RandomRotate90,
# 128x128 crops of batch 4, AmpOptimizerHook dtype='auto') with HRF's 3504x2336 images resized around 1752x1168
# for training (ratio 0.5-2.0, as mmseg 0.x around full size) and tested at 1752x1168 with 128x128 windows at
# stride 85. Predictions are resized back to 3504x2336 (rescale) and scored at full resolution against the
# official labels and FOV masks. Why half: HRF's vessels are about twice as wide in pixels as DRIVE's/CHASE's,
# so at half scale a 128x128 crop holds a similar stretch of vessel tree, and a test image costs 4x fewer windows.
# Reproduce:
#   python tools/convert_datasets/hrf.py healthy.zip healthy_manualsegm.zip glaucoma.zip \
#       glaucoma_manualsegm.zip diabetic_retinopathy.zip diabetic_retinopathy_manualsegm.zip -o data/HRF
#   python tools/train.py configs/unet++/unet++_r34_8k_hrf_cpu_half.py --seed 0
# Not run yet: no figure of it is claimed anywhere.
_base_ = './unet++_r34_8k_chase_db1_cpu.py'
half_scale = (1168, 1752)
crop_size = (128, 128)
img_norm_cfg = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile', cache=True),
    dict(type='LoadAnnotations', cache=True),
    dict(type='Resize', img_scale=half_scale, ratio_range=(0.5, 2.0)),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomRotate90', prob=0.75),
    dict(type='PhotoMetricDistortion'),
    dict(type='Normalize', **img_norm_cfg),
    dict(type='Pad', size=crop_size, pad_val=0, seg_pad_val=255),
    dict(type='DefaultFormatBundle'),
    dict(type='Collect', keys=['img', 'gt_semantic_seg'])
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiScaleFlipAug', img_scale=half_scale, flip=False, transforms=[
        dict(type='Resize', keep_ratio=True),
        dict(type='RandomFlip'),
        dict(type='Normalize', **img_norm_cfg),
        dict(type='ImageToTensor', keys=['img']),
        dict(type='Collect', keys=['img'])])
]
data = dict(
    train=dict(_delete_=True, type='RepeatDataset', times=40000, dataset=dict(
        type='HRFDataset', data_root='data/HRF', img_dir='images/training', ann_dir='annotations/training',
        pipeline=train_pipeline)),
    val=dict(_delete_=True, type='HRFDataset', data_root='data/HRF', img_dir='images/validation',
             ann_dir='annotations/validation', fov_dir='masks/validation', pipeline=test_pipeline),
    test=dict(_delete_=True, type='HRFDataset', data_root='data/HRF', img_dir='images/validation',
              ann_dir='annotations/validation', fov_dir='masks/validation', pipeline=test_pipeline))
