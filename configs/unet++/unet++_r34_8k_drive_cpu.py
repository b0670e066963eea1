# DRIVE alone on the schedule of the joint DRIVE + STARE model (unet++_r34_8k_drive_stare_cpu.py): the recommended
# CPU recipe (unet++_r34_16k_drive_cpu_adamw_rot90.py) cut to 8k iterations of 4 64x64 crops, 2 loader workers.
# The single-set row beside the joint model (and beside unet++_r34_8k_stare_cpu.py on STARE). Reproduce:
#   python tools/train.py configs/unet++/unet++_r34_8k_drive_cpu.py --seed 0
#   python tools/test.py configs/unet++/unet++_r34_8k_drive_cpu.py CKPT --eval mDice \
#       --test-set configs/_base_/datasets/stare.py          # the same model on STARE
_base_ = './unet++_r34_16k_drive_cpu_adamw_rot90.py'
data = dict(workers_per_gpu=2)
runner = dict(max_iters=8000)
