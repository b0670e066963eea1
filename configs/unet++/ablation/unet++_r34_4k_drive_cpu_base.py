# Ablation base (2-core CPU, about 10 min): the AdamW CPU recipe cut to 4k iterations of 4 images, evaluated
# once at the end. Every file in this folder changes ONE thing against it; bench/drive_ablation.sh runs them
# side by side and the results are in configs/unet++/README.md ("What was tried").
_base_ = '../unet++_r34_16k_drive_cpu_adamw.py'
runner = dict(max_iters=4000)
checkpoint_config = dict(interval=4000, max_keep_ckpts=1)
evaluation = dict(interval=4000)
