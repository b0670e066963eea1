#!/usr/bin/env bash
# Shared launcher behind train_dist.sh and test_dist.sh: torchrun with one process per GPU, or per CPU
# process (gloo) on a machine without GPUs.  Usage: dist_launch.sh SCRIPT NPROC [script args...]
set -euo pipefail
SCRIPT=$1
NPROC=$2
shift 2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
PYTHON=${PYTHON:-python}
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if ! [[ "$NPROC" =~ ^[1-9][0-9]*$ ]]; then
    echo "error: GPUS must be a positive integer, got '$NPROC'" >&2
    exit 2
fi
NGPU=$("$PYTHON" -c 'import torch; print(torch.cuda.device_count() if torch.cuda.is_available() else 0)')
if [ "$NGPU" -eq 0 ]; then
    echo "no GPU found: starting $NPROC CPU processes with the gloo backend" >&2
    export CUDA_VISIBLE_DEVICES=""
    export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(( $(nproc) / NPROC > 0 ? $(nproc) / NPROC : 1 ))}
    EXTRA=(--dist_backend gloo)
elif [ "$NPROC" -gt "$NGPU" ]; then
    echo "error: asked for $NPROC GPUs but this machine has $NGPU" >&2
    exit 2
else
    EXTRA=()
fi

export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
exec "$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" --master_port="$PORT" \
    "$ROOT/$SCRIPT" "$@" --launcher pytorch "${EXTRA[@]}"
