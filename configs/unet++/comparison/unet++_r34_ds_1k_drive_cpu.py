# UNet++ with deep supervision (the r34 model as shipped): tested by averaging its four outputs. The paper's
# pruned UNet++ L1..L4 are test-time modes of this checkpoint:
#   python tools/test.py THIS_CONFIG CKPT --eval mDice --cfg-options model.test_cfg.test_mode=fast \
#       model.test_cfg.prune_level=K      (K = 1..4)
_base_ = ['../../_base_/models/unet++_r34.py', './_base_/comparison_1k_drive_cpu.py']
model = dict(test_cfg=dict(mode='slide'))  # as the U-Nets (which need sizes divisible by 16) and the committed log
