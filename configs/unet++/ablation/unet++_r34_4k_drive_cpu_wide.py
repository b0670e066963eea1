# Decoder width: [32, 64, 128, 128, 128] per row instead of [16, 32, 64, 128, 128] (twice as wide at full
# and half resolution, where the thin vessels are drawn; costs more time per step).
_base_ = './unet++_r34_4k_drive_cpu_base.py'
model = dict(decode_head=dict(channels=[32, 64, 128, 128, 128]))
data = dict(workers_per_gpu=4)  # what its committed run used (results/ablation/*.log.json); the base has 2
