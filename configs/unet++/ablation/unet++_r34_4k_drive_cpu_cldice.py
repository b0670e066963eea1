# Topology loss: soft-clDice (Shit et al., CVPR 2021; iterations=10, weight 1.0) added to the base's losses
# (CE 1.0 + Dice 3.0) on every deep-supervision output. Not trained yet: no result to quote.
_base_ = './unet++_r34_4k_drive_cpu_base.py'
model = dict(
    decode_head=dict(loss_decode={{_base_.model.decode_head.loss_decode}} + [
        dict(type='SoftClDiceLoss', iterations=10, loss_weight=1.0)
    ]))
