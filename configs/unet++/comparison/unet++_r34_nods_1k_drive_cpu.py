# UNet++ without deep supervision: the r34 model trained and tested on its last output X^{0,4} only.
_base_ = ['../../_base_/models/unet++_r34.py', './_base_/comparison_1k_drive_cpu.py']
model = dict(
    test_cfg=dict(mode='slide'),  # as the U-Nets (which need sizes divisible by 16) and the committed log
    decode_head=dict(deep_supervision=False))
