# The recommended 2-core CPU recipe: AdamW (unet++_r34_16k_drive_cpu_adamw.py) plus RandomRotate90 after the
# horizontal flip, the one change that helped in the 4k-iteration ablations (configs/unet++/ablation/).
# 16k iterations of 4 images (64x64 crops), about 50 minutes on 2 CPU cores. Reproduce:
#   python tools/convert_datasets/drive.py training.zip test.zip -o data/DRIVE
#   python tools/train.py configs/unet++/unet++_r34_16k_drive_cpu_adamw_rot90.py --seed 0
_base_ = './unet++_r34_16k_drive_cpu_adamw.py'
train_pipeline = {{_base_.train_pipeline}}
_after_flip = [t['type'] for t in train_pipeline].index('RandomFlip') + 1  # right after the horizontal flip
train_pipeline.insert(_after_flip, dict(type='RandomRotate90', prob=0.75))
# 4 loader workers: what its committed run (and the 32k one) used, results/*.log.json
data = dict(workers_per_gpu=4, train=dict(dataset=dict(pipeline=train_pipeline)))
