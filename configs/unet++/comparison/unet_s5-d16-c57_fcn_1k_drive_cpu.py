# Parameter-matched U-Net (the paper's "wide U-Net"): UNet-S5-D16 + FCN with base_channels chosen so that the
# model has about as many parameters as UNet++ r34 (23.06 M with 57 vs 23.32 M; 64 gives 29.06 M, so here
# matching means narrower, not wider). The heads read base_channels (in_index 4) and 2x (in_index 3) channels.
_base_ = ['../../_base_/models/fcn_unet_s5-d16.py', './_base_/comparison_1k_drive_cpu.py']
base_channels = 57
model = dict(
    backbone=dict(base_channels=base_channels),
    decode_head=dict(in_channels=base_channels),
    auxiliary_head=dict(in_channels=2 * base_channels),
    test_cfg=dict(crop_size=(64, 64), stride=(42, 42)))
