#!/usr/bin/env bash
# The one torchrun launcher behind train_dist.sh, test_dist.sh, tools/dist_train.sh and tools/dist_test.sh:
# one process per GPU, or GPUS CPU processes with gloo on a machine without GPUs.
#   dist_launch.sh train NAME CONFIG GPUS [tools/train.py args]
#   dist_launch.sh test  NAME CONFIG CHECKPOINT GPUS [tools/test.py args]
# NAME is the calling script, shown in the usage line. Several machines: set NNODES, NODE_RANK, MASTER_ADDR
# and PORT (defaults 1, 0, 127.0.0.1, 29500) on each. PYTHON picks the interpreter (default: python).
set -euo pipefail
MODE=$1
NAME=$2
shift 2
case "$MODE" in
    train) NPOS=2; POSITIONAL="CONFIG GPUS" ;;
    test)  NPOS=3; POSITIONAL="CONFIG CHECKPOINT GPUS" ;;
    *) echo "error: dist_launch.sh mode must be 'train' or 'test', got '$MODE'" >&2; exit 2 ;;
esac
if [ $# -lt "$NPOS" ]; then
    echo "usage: bash $NAME $POSITIONAL [tools/$MODE.py args]" >&2
    exit 2
fi
TOOL_POSITIONAL=("${@:1:NPOS-1}")  # CONFIG (and CHECKPOINT)
NPROC=${!NPOS}
shift "$NPOS"

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
    "$ROOT/tools/$MODE.py" "${TOOL_POSITIONAL[@]}" "$@" --launcher pytorch "${EXTRA[@]}"
