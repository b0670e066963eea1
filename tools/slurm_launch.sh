#!/usr/bin/env bash
# The srun launcher behind tools/slurm_train.sh and tools/slurm_test.sh (mmseg 0.x's environment):
#   slurm_launch.sh train NAME PARTITION JOB_NAME CONFIG [WORK_DIR] [tools/train.py args]
#   slurm_launch.sh test  NAME PARTITION JOB_NAME CONFIG CHECKPOINT [tools/test.py args]
# NAME is the calling script, shown in the usage line. Environment: GPUS (tasks, default 4), GPUS_PER_NODE
# (default 4), CPUS_PER_TASK (default 5), SRUN_ARGS (extra srun options), PYTHON (default: python); the port
# comes from PORT or MASTER_PORT (else 29500 + SLURM_JOB_ID % 1000), see mmcv.dist.init_dist.
set -euo pipefail
MODE=$1
NAME=$2
shift 2
case "$MODE" in
    train) NPOS=3; POSITIONAL="PARTITION JOB_NAME CONFIG [WORK_DIR]" ;;
    test)  NPOS=4; POSITIONAL="PARTITION JOB_NAME CONFIG CHECKPOINT" ;;
    *) echo "error: slurm_launch.sh mode must be 'train' or 'test', got '$MODE'" >&2; exit 2 ;;
esac
if [ $# -lt "$NPOS" ]; then
    echo "usage: bash $NAME $POSITIONAL [tools/$MODE.py args]" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
TOOL_ARGS=("${@:3:NPOS-2}")  # CONFIG (and CHECKPOINT)
shift "$NPOS"
# mmseg 0.x passes everything after CONFIG to tools/train.py; a WORK_DIR there (no leading '-') is also accepted
if [ "$MODE" = train ] && [ $# -gt 0 ] && [[ "$1" != -* ]]; then
    TOOL_ARGS+=("--work-dir=$1")
    shift
fi

GPUS=${GPUS:-4}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-}
PYTHON=${PYTHON:-python}
for VAR in GPUS GPUS_PER_NODE CPUS_PER_TASK; do
    if ! [[ "${!VAR}" =~ ^[1-9][0-9]*$ ]]; then
        echo "error: $VAR must be a positive integer, got '${!VAR}'" >&2
        exit 2
    fi
done
if ! command -v srun >/dev/null; then
    echo "error: srun not found on PATH: run this on a slurm login node (one machine: bash tools/dist_$MODE.sh)" >&2
    exit 127
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
# SRUN_ARGS is split into words on purpose (several options in one variable, as in mmseg)
# shellcheck disable=SC2086
CMD=(srun -p "$PARTITION" --job-name="$JOB_NAME" --gres=gpu:"$GPUS_PER_NODE" --ntasks="$GPUS"
     --ntasks-per-node="$GPUS_PER_NODE" --cpus-per-task="$CPUS_PER_TASK" --kill-on-bad-exit=1 $SRUN_ARGS
     "$PYTHON" -u "$ROOT/tools/$MODE.py" "${TOOL_ARGS[@]}" --launcher slurm "$@")
echo "+ ${CMD[*]}" >&2
exec "${CMD[@]}"
