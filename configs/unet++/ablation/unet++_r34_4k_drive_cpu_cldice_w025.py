# The soft-clDice ablation with the topology term weighted 0.25 instead of 1.0 (CE 1.0 + Dice 3.0 + clDice 0.25 on
# every deep-supervision output), bf16, seed 0: whether a lighter topology term avoids the slow start that weight
# 1.0 showed on DRIVE (training loss flat for the first 2k iterations, configs/unet++/README.md).
_base_ = './unet++_r34_4k_drive_cpu_cldice.py'
model = dict(decode_head=dict(loss_decode={{_base_.model.decode_head.loss_decode}}[:2] + [
    dict(type='SoftClDiceLoss', iterations=10, loss_weight=0.25)
]))
