# The headline recipe on ONE GPU: 16 images per step (the reference's effective batch: 4 GPUs x 4), so the
# learning rate stays 0.01; bf16 autocast, channels_last and CUDA-graph replay of the training step for speed
# (model.train_cfg.cuda_graph falls back to eager steps where capture is impossible); loader workers keep
# decoded images cached.
_base_ = './unet++_r34_40k_drive.py'
data = dict(samples_per_gpu=16, workers_per_gpu=8)
optimizer_config = dict(type='AmpOptimizerHook', dtype='bf16')
channels_last = True
model = dict(train_cfg=dict(cuda_graph=True), test_cfg=dict(window_batch=256))
log_config = dict(interval=500)
checkpoint_config = dict(interval=8000, max_keep_ckpts=1)
evaluation = dict(interval=8000)
