# Topology loss: soft-clDice (Shit et al., CVPR 2021; iterations=10, weight 1.0) added to the base's losses
# (CE 1.0 + Dice 3.0) on every deep-supervision output. Trained as the bf16 ablation (bf16 autocast, seed 0,
# everything else the base's) so that the two differ only in the loss: compare with
#   python tools/compare_results.py <bf16 eval json> <this eval json>
_base_ = './unet++_r34_4k_drive_cpu_bf16.py'
model = dict(
    decode_head=dict(loss_decode={{_base_.model.decode_head.loss_decode}} + [
        dict(type='SoftClDiceLoss', iterations=10, loss_weight=1.0)
    ]))
