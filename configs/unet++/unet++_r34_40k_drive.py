# UNet++ (ResNet-34 encoder, nested decoder, deep supervision) on DRIVE: 64x64 crops, 40k iterations,
# slide inference with 64x64 windows at stride 42, scored by mDice (mean of background and vessel).
_base_ = [
    '../_base_/models/unet++_r34.py', '../_base_/datasets/drive.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_40k.py'
]
model = dict(test_cfg=dict(mode='slide', crop_size=(64, 64), stride=(42, 42)))
evaluation = dict(metric='mDice')
