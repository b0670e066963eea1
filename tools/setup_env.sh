#!/usr/bin/env bash
# Set up the project in .venv: install requirements (a torch already in the system Python is reused) and
# build the compiled ops mmcv._ext in place (C++ always; CUDA too when torch and nvcc have CUDA).
# Environment: PYTHON (default python3), MMCV_WITH_OPS=0 to skip the build, TORCH_CUDA_ARCH_LIST for GPU archs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv --system-site-packages .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
python -m pip install -q -r requirements.txt -r requirements/tests.txt
if [ -z "${CUDA_HOME:-}" ] && ls /usr/local/cuda/lib64/libcudart.so* >/dev/null 2>&1; then
    export CUDA_HOME=/usr/local/cuda
fi
if [ "${MMCV_WITH_OPS:-1}" != "0" ]; then
    start=$(date +%s)
    python setup.py -q build_ext --inplace >.venv/build_ext.log 2>&1 || { cat .venv/build_ext.log; exit 1; }
    echo "built mmcv._ext in $(( $(date +%s) - start )) s (log: .venv/build_ext.log)"
fi
python -c "import torch, mmcv.ops as ops; print(f'torch {torch.__version__}, mmcv ops backend on cpu: {ops.get_backend(\"cpu\")}')"
