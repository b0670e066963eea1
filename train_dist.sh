#!/usr/bin/env bash
# Distributed training: bash train_dist.sh CONFIG GPUS [tools/train.py args] (same as tools/dist_train.sh).
# Several machines: set NNODES, NODE_RANK, MASTER_ADDR and PORT (defaults 1, 0, 127.0.0.1, 29500) on each.
exec bash "$(dirname "${BASH_SOURCE[0]}")/tools/dist_launch.sh" train train_dist.sh "$@"
