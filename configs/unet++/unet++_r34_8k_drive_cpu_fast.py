# The 32k DRIVE CPU recipe (unet++_r34_32k_drive_cpu_adamw_rot90.py: AdamW, RandomRotate90, 32k x 4 crops of
# 64x64, 81 min on a 2-core AMD EPYC, mDice 89.60) on the faster path of the speed issue: the same pixels per
# run in a quarter of the steps (8k x 4 crops of 128x128), bf16 autocast where the CPU computes it natively and it
# measures faster (AmpOptimizerHook dtype='auto'), channels_last for training and test, bf16 inference
# (test_cfg.autocast='auto'). Its question: the 32k recipe's accuracy in half its wall time on the same machine.
# Not run yet: no figure of it is claimed anywhere. Reproduce:
#   python tools/train.py configs/unet++/unet++_r34_8k_drive_cpu_fast.py --seed 0
_base_ = './unet++_r34_16k_drive_cpu_adamw_rot90.py'
crop_size = (128, 128)
_sized = dict(RandomCrop=dict(crop_size=crop_size), Pad=dict(size=crop_size))
train_pipeline = [dict(t, **_sized.get(t['type'], {})) for t in {{_base_.train_pipeline}}]
data = dict(workers_per_gpu=2, train=dict(dataset=dict(pipeline=train_pipeline)))
model = dict(test_cfg=dict(autocast='auto'))
channels_last = True
optimizer_config = dict(_delete_=True, type='AmpOptimizerHook', dtype='auto')
runner = dict(max_iters=8000)
checkpoint_config = dict(interval=4000)
evaluation = dict(interval=4000)
