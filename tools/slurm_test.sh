#!/usr/bin/env bash
# Testing on a slurm cluster (mmseg 0.x's script):
#   [GPUS=4 GPUS_PER_NODE=4 CPUS_PER_TASK=5 SRUN_ARGS=...] bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [tools/test.py args]
exec bash "$(dirname "${BASH_SOURCE[0]}")/slurm_launch.sh" test tools/slurm_test.sh "$@"
