#!/usr/bin/env bash
# Distributed testing: bash test_dist.sh CONFIG CHECKPOINT GPUS [tools/test.py args]
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: bash test_dist.sh CONFIG CHECKPOINT GPUS [tools/test.py args]" >&2
    exit 2
fi
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
shift 3
exec bash "$(dirname "${BASH_SOURCE[0]}")/tools/dist_launch.sh" tools/test.py "$GPUS" "$CONFIG" "$CHECKPOINT" "$@"
