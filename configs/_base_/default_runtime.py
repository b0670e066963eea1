# Runtime defaults shared by every config: logging, distributed backend, resume points.
# Add dict(type='TensorboardLoggerHook') to `hooks` for TensorBoard events (needs tensorboard).
log_config = dict(interval=50, hooks=[dict(type='TextLoggerHook', by_epoch=False)])
dist_params = dict(backend='nccl')  # gloo is picked automatically on machines without CUDA
log_level = 'INFO'
load_from = None
load_from_partial = False  # True: load_from may hold only some of the model's weights (fine-tuning)
resume_from = None
workflow = [('train', 1)]
cudnn_benchmark = True
