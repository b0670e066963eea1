# UNet++ (ResNet-34 encoder, nested decoder, deep supervision) on STARE with mmseg 0.x's STARE settings:
# 128x128 crops of batch 4, 40k iterations (SGD, poly), slide inference with 128x128 windows at stride 85
# (as mmseg's UNet STARE configs), scored by mDice (mean of background and vessel) and the FOV protocol.
_base_ = [
    '../_base_/models/unet++_r34.py', '../_base_/datasets/stare.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_40k.py'
]
model = dict(test_cfg=dict(mode='slide', crop_size=(128, 128), stride=(85, 85)))
evaluation = dict(metric='mDice')
