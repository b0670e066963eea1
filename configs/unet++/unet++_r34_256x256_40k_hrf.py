# UNet++ (ResNet-34 encoder, nested decoder, deep supervision) on HRF with mmseg 0.x's HRF settings:
# 256x256 crops of batch 4, 40k iterations (SGD, poly), slide inference with 256x256 windows at stride 170
# (as mmseg's UNet HRF configs), scored by mDice (mean of background and vessel) and the FOV protocol.
_base_ = [
    '../_base_/models/unet++_r34.py', '../_base_/datasets/hrf.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_40k.py'
]
model = dict(test_cfg=dict(mode='slide', crop_size=(256, 256), stride=(170, 170)))
evaluation = dict(metric='mDice')
