#!/usr/bin/env bash
# Distributed training: bash train_dist.sh CONFIG GPUS [tools/train.py args]
# Several machines: set NNODES, NODE_RANK, MASTER_ADDR and PORT (defaults 1, 0, 127.0.0.1, 29500) on each.
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: bash train_dist.sh CONFIG GPUS [tools/train.py args]" >&2
    exit 2
fi
CONFIG=$1
GPUS=$2
shift 2
exec bash "$(dirname "${BASH_SOURCE[0]}")/tools/dist_launch.sh" tools/train.py "$GPUS" "$CONFIG" "$@"
