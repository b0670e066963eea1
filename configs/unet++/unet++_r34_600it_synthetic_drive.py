# Quick-start: the headline recipe on synthetic DRIVE-format data (tools/make_synthetic_drive.py, then
# tools/convert_datasets/drive.py), short enough for 2 CPU cores. Not a benchmark: a smoke run of the whole path.
_base_ = './unet++_r34_40k_drive.py'
data_root = 'data/synthetic_drive'
data = dict(
    samples_per_gpu=4,
    workers_per_gpu=1,
    train=dict(dataset=dict(data_root=data_root)),
    val=dict(data_root=data_root),
    test=dict(data_root=data_root))
runner = dict(max_iters=600)
log_config = dict(interval=25)
checkpoint_config = dict(interval=300, max_keep_ckpts=2)
evaluation = dict(interval=300)
