# One model for the four retinal sets on a 2-core CPU: the CHASE_DB1 CPU recipe (unet++_r34_8k_chase_db1_cpu.py:
# AdamW lr 1e-3, poly to 1e-6, RandomRotate90, 128x128 crops of batch 4, AmpOptimizerHook dtype='auto') trained on
# the four mmseg 0.x training splits at once: a ConcatDataset of DRIVE (20), STARE (10), CHASE_DB1 (20) and HRF
# (15) images, each resized around its own mmseg 0.x scale (ratio 0.5-2.0) except HRF, at half scale as in
# unet++_r34_8k_hrf_cpu_half.py so that its vessels have about the widths of the other sets'. Every image is drawn
# equally often, so a set's share of the crops is its share of the 65 images. Validated on CHASE_DB1; scored on
# each set's validation split with --test-set:
#   python tools/train.py configs/unet++/unet++_r34_8k_four_sets_cpu.py --seed 0
#   for s in drive stare chase_db1 hrf_half; do python tools/test.py configs/unet++/unet++_r34_8k_four_sets_cpu.py \
#       work_dirs/unet++_r34_8k_four_sets_cpu/latest.pth --eval mDice --test-set configs/_base_/datasets/$s.py; done
_base_ = './unet++_r34_8k_chase_db1_cpu.py'
_pipeline = {{_base_.train_pipeline}}  # CHASE_DB1's, with the rotations


def _at(img_scale):
    return [dict(t, img_scale=img_scale) if t['type'] == 'Resize' else t for t in _pipeline]


def _set(type, root, img_scale):
    return dict(type=type, data_root=root, img_dir='images/training', ann_dir='annotations/training',
                pipeline=_at(img_scale))


data = dict(
    train=dict(
        _delete_=True,
        type='RepeatDataset',
        times=40000,
        dataset=[
            _set('DRIVEDataset', 'data/DRIVE', (584, 565)),
            _set('STAREDataset', 'data/STARE', (605, 700)),
            _set('ChaseDB1Dataset', 'data/CHASE_DB1', (960, 999)),
            _set('HRFDataset', 'data/HRF', (1168, 1752)),
        ]))
# bf16 inference where the CPU has native bf16 (metrics within 0.01 mDice of float32: bench/eval_speed.py)
model = dict(test_cfg=dict(autocast='auto'))
channels_last = True  # training and test: 1.17x faster bf16 step at batch 4 of 128x128 on a 2-core AMD EPYC
evaluation = dict(interval=8000)
