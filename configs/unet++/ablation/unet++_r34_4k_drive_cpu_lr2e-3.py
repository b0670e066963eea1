# Optimiser: AdamW at lr 2e-3 instead of 1e-3.
_base_ = './unet++_r34_4k_drive_cpu_base.py'
optimizer = dict(lr=2e-3)
data = dict(workers_per_gpu=4)  # what its committed run used (results/ablation/*.log.json); the base has 2
