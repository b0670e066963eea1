#!/usr/bin/env bash
# Distributed testing (mmseg 0.x's script): bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [tools/test.py args].
exec bash "$(dirname "${BASH_SOURCE[0]}")/dist_launch.sh" test tools/dist_test.sh "$@"
