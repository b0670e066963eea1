# Precision: the base in float32, exactly as ./unet++_r34_4k_drive_cpu_base.py; the parity partner of _bf16, run
# beside it on the same machine (the committed base log comes from another machine and an older main).
_base_ = './unet++_r34_4k_drive_cpu_base.py'
