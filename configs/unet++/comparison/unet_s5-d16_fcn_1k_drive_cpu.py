# U-Net: mmseg 0.x's UNet-S5-D16 with its FCN head (and FCN auxiliary head), CE loss as in mmseg.
_base_ = ['../../_base_/models/fcn_unet_s5-d16.py', './_base_/comparison_1k_drive_cpu.py']
model = dict(test_cfg=dict(crop_size=(64, 64), stride=(42, 42)))
