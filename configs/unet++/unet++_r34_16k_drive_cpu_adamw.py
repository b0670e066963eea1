# The 2-core CPU recipe with AdamW (lr 1e-3, weight decay 0.01, poly decay to 1e-6) instead of SGD: same
# 16k x 4 schedule. Measured beside the SGD recipe in configs/unet++/README.md.
_base_ = './unet++_r34_16k_drive_cpu.py'
optimizer = dict(_delete_=True, type='AdamW', lr=1e-3, weight_decay=0.01)
lr_config = dict(min_lr=1e-6)
