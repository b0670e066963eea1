#!/usr/bin/env bash
# Distributed training (mmseg 0.x's script): bash tools/dist_train.sh CONFIG GPUS [tools/train.py args].
# Several machines: set NNODES, NODE_RANK, MASTER_ADDR and PORT (defaults 1, 0, 127.0.0.1, 29500) on each.
exec bash "$(dirname "${BASH_SOURCE[0]}")/dist_launch.sh" train tools/dist_train.sh "$@"
