# HRF's val/test split at half resolution: each 3504x2336 image is resized to 1752x1168 for inference and the
# prediction is resized back (rescale) to 3504x2336, where it is scored against the official labels and FOV masks.
# For models trained at half scale (unet++_r34_8k_hrf_cpu_half.py) or at DRIVE/CHASE_DB1's vessel widths:
#   python tools/test.py CONFIG CKPT --eval mDice --test-set configs/_base_/datasets/hrf_half.py
_base_ = './hrf.py'
half_scale = (1168, 1752)
test_pipeline = [dict(t, img_scale=half_scale) if t['type'] == 'MultiScaleFlipAug' else t
                 for t in {{_base_.test_pipeline}}]
data = dict(val=dict(pipeline=test_pipeline), test=dict(pipeline=test_pipeline))
