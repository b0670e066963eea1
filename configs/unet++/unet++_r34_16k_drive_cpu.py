# The headline recipe shortened for a 2-core CPU (about an hour): 16k iterations of 4 images (64x64 crops),
# poly decay over the shorter schedule, evaluation every 4k iterations. Reproduce:
#   python tools/convert_datasets/drive.py training.zip test.zip -o data/DRIVE
#   python tools/train.py configs/unet++/unet++_r34_16k_drive_cpu.py --seed 0
_base_ = './unet++_r34_40k_drive.py'
runner = dict(max_iters=16000)
log_config = dict(interval=100)
checkpoint_config = dict(interval=4000, max_keep_ckpts=1)
evaluation = dict(interval=4000)
# Pinned: the committed results of this config and of its AdamW variant were measured before RandomRotate90
# joined the DRIVE training pipeline, so it is left out here (unet++_r34_16k_drive_cpu_adamw_rot90.py has it).
train_pipeline = [t for t in {{_base_.train_pipeline}} if t['type'] != 'RandomRotate90']
data = dict(samples_per_gpu=4, workers_per_gpu=2, train=dict(dataset=dict(pipeline=train_pipeline)))
