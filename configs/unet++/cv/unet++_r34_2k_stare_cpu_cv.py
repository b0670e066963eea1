# STARE cross-validation at a CPU schedule: the STARE CPU recipe (unet++_r34_8k_stare_cpu.py: AdamW, flip +
# RandomRotate90, 64x64 crops of batch 4, slide inference 64/42) cut to 2k iterations per fold and trained under
# AmpOptimizerHook dtype='auto' (bf16 where the CPU has AMX-BF16/AVX512-BF16 and it measures faster), so that five
# folds fit about an hour of a 2-core CPU. Most STARE papers report leave-one-out or K-fold over all 20 images
# rather than mmseg's 10/10 split; run it with tools/cross_validate.py, which writes each fold's split files:
#   python tools/cross_validate.py configs/unet++/cv/unet++_r34_2k_stare_cpu_cv.py --folds 5 --pool
#   python tools/cross_validate.py configs/unet++/cv/unet++_r34_2k_stare_cpu_cv.py --leave-one-out --pool
_base_ = '../unet++_r34_8k_stare_cpu.py'
optimizer_config = dict(_delete_=True, type='AmpOptimizerHook', dtype='auto')
runner = dict(max_iters=2000)
checkpoint_config = dict(interval=2000, max_keep_ckpts=1)
evaluation = dict(interval=2000, metric='mDice')
