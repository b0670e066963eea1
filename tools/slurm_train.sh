#!/usr/bin/env bash
# Training on a slurm cluster (mmseg 0.x's script):
#   [GPUS=4 GPUS_PER_NODE=4 CPUS_PER_TASK=5 SRUN_ARGS=...] bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG [WORK_DIR] [tools/train.py args]
exec bash "$(dirname "${BASH_SOURCE[0]}")/slurm_launch.sh" train tools/slurm_train.sh "$@"
