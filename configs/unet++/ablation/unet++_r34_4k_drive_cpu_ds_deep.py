# Deep-supervision weights rising with depth (X^{0,1}..X^{0,4}: 0.1, 0.2, 0.3, 0.4) instead of equal weights.
_base_ = './unet++_r34_4k_drive_cpu_base.py'
model = dict(decode_head=dict(ds_loss_weights=[0.1, 0.2, 0.3, 0.4]))
