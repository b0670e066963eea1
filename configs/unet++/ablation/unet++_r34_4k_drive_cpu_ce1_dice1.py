# Loss mix: CE 1.0 + Dice 1.0 on every output instead of CE 1.0 + Dice 3.0.
_base_ = './unet++_r34_4k_drive_cpu_base.py'
model = dict(
    decode_head=dict(loss_decode=[
        dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, avg_non_ignore=True),
        dict(type='DiceLoss', loss_weight=1.0)
    ]))
