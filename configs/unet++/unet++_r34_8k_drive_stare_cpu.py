# One model for DRIVE and STARE on a 2-core CPU: the DRIVE CPU recipe (unet++_r34_16k_drive_cpu_adamw_rot90.py:
# AdamW, RandomRotate90, 64x64 crops of batch 4) trained on both training splits at once (a ConcatDataset of 20
# DRIVE + 10 STARE images), each set resized around its own size (DRIVE 565x584, STARE 700x605: vessels of
# similar width). Validated on DRIVE midway and at the end. Reproduce and test on both sets:
#   python tools/train.py configs/unet++/unet++_r34_8k_drive_stare_cpu.py --seed 0
#   python tools/test.py configs/unet++/unet++_r34_8k_drive_stare_cpu.py CKPT --eval mDice
#   python tools/test.py configs/unet++/unet++_r34_8k_drive_stare_cpu.py CKPT --eval mDice \
#       --test-set configs/_base_/datasets/stare.py
_base_ = './unet++_r34_16k_drive_cpu_adamw_rot90.py'
_drive_train = {{_base_.data.train.dataset}}
_stare_pipeline = [dict(t, img_scale=(605, 700)) if t['type'] == 'Resize' else t for t in _drive_train['pipeline']]
data = dict(
    workers_per_gpu=2,
    train=dict(
        _delete_=True,
        type='RepeatDataset',
        times=40000,
        dataset=[
            _drive_train,
            dict(
                type='STAREDataset',
                data_root='data/STARE',
                img_dir='images/training',
                ann_dir='annotations/training',
                pipeline=_stare_pipeline)
        ]))
runner = dict(max_iters=8000)
