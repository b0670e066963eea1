#!/usr/bin/env bash
# Distributed testing: bash test_dist.sh CONFIG CHECKPOINT GPUS [tools/test.py args] (same as tools/dist_test.sh).
exec bash "$(dirname "${BASH_SOURCE[0]}")/tools/dist_launch.sh" test test_dist.sh "$@"
