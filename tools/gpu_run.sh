#!/usr/bin/env bash
# DRIVE end to end on one GPU, as one command: convert the zips, measure the train step, train the headline
# recipe (configs/unet++/unet++_r34_40k_drive_1gpu_bs16_amp_adamw.py), evaluate mDice on the 20 test images, time the
# test set, and write logs plus summary.json into OUT_DIR.
#
#   bash tools/gpu_run.sh TRAIN_ZIP TEST_ZIP OUT_DIR [BUDGET_S]
#
# BUDGET_S (default 540) bounds the whole run: if 40k iterations cannot fit at the measured step time, the
# schedule is shortened to what fits (poly decay over the shorter schedule) and summary.json says so.
# Dry run on CPU (small synthetic zips, no bf16, which is slow on CPUs):
#   BENCH_STEPS=3 MAX_ITERS=20 AMP=none CONFIG=configs/unet++/unet++_r34_40k_drive.py bash tools/gpu_run.sh ...
set -uo pipefail
TRAIN_ZIP=$1
TEST_ZIP=$2
OUT_DIR=$3
BUDGET_S=${4:-540}
PY=${PYTHON:-python3}
BENCH_STEPS=${BENCH_STEPS:-150}
CONFIG=${CONFIG:-configs/unet++/unet++_r34_40k_drive_1gpu_bs16_amp_adamw.py}
AMP=${AMP:-bf16}
SPEED_FLAGS="--channels-last"
[ "$AMP" = none ] || SPEED_FLAGS="--amp $AMP --channels-last"
WORK=work_dirs/gpu_run
T0=$(date +%s)
mkdir -p "$OUT_DIR" "$WORK"
elapsed() { echo $(( $(date +%s) - T0 )); }
log() { echo "[gpu_run $(elapsed)s] $*" | tee -a "$OUT_DIR/stages.txt"; }

log "env"
{ nvidia-smi; $PY -c 'import torch, sys; print(sys.version); print(torch.__version__, torch.cuda.get_device_name(0))'; } \
    >"$OUT_DIR/env.log" 2>&1

log "build mmcv._ext in the background"
( MAX_JOBS=4 $PY setup.py build_ext --inplace >"$OUT_DIR/build_ext.log" 2>&1 ) &
BUILD_PID=$!

log "CUDA-graph step == eager step check"
GRAPH_OK=True
$PY -m pytest tests/test_models/test_cuda_graph.py -q >"$OUT_DIR/cuda_graph_test.log" 2>&1 || GRAPH_OK=False
log "cuda graph check passed: $GRAPH_OK"

log "convert DRIVE"
$PY tools/convert_datasets/drive.py "$TRAIN_ZIP" "$TEST_ZIP" -o data/DRIVE --force >"$OUT_DIR/convert.log" 2>&1 \
    || { log "convert failed"; exit 1; }

log "train-step benchmark (eager and CUDA-graph steps)"
bench_train() {  # batch size, cuda_graph flag, report name
    $PY tools/benchmark.py $CONFIG --train --samples-per-gpu "$1" $SPEED_FLAGS --num-images $(( $1 * BENCH_STEPS )) \
        --log-interval 25 --warmup 20 --cfg-options model.train_cfg.cuda_graph="$2" \
        --json "$OUT_DIR/$3.json" >"$OUT_DIR/$3.log" 2>&1 || log "benchmark $3 failed"
}
bench_train 16 False bench_train_bs16_eager
bench_train 4 False bench_train_bs4_eager
if [ "$GRAPH_OK" = True ]; then
    bench_train 16 True bench_train_bs16_graph
    bench_train 4 True bench_train_bs4_graph
fi

read -r ITERS GRAPH < <($PY - "$OUT_DIR" "$BUDGET_S" "$(elapsed)" <<'PY'
import json, os, sys
out, budget, spent = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
rates = {}
for mode in ('eager', 'graph'):
    try:
        rates[mode] = json.load(open(os.path.join(out, f'bench_train_bs16_{mode}.json')))['images_per_s']
    except (OSError, KeyError, ValueError):
        pass
mode = max(rates, key=rates.get) if rates else 'eager'
left = budget - spent - 75  # start-up, final evaluation and summary
iters = 40000 if not rates else int(min(40000, max(500, left / (16 / rates[mode]) / 1.08)))
print(iters // 100 * 100, 'True' if mode == 'graph' else 'False')
PY
)
ITERS=${MAX_ITERS:-$ITERS}
log "training $ITERS iterations (cuda_graph=$GRAPH)"
timeout $(( BUDGET_S - $(elapsed) - 40 )) $PY tools/train.py $CONFIG --work-dir $WORK \
    --cfg-options runner.max_iters=$ITERS evaluation.interval=$ITERS checkpoint_config.interval=$ITERS \
    model.train_cfg.cuda_graph=$GRAPH \
    >"$OUT_DIR/train.log" 2>&1 || log "train exited with $?"
cp $WORK/*.log.json "$OUT_DIR/" 2>/dev/null

CKPT=$(ls $WORK/best_mDice_iter_*.pth 2>/dev/null | head -1)
CKPT=${CKPT:-$WORK/latest.pth}
log "test $CKPT"
START=$(date +%s.%N)
$PY tools/test.py $CONFIG "$CKPT" --eval mDice --work-dir $WORK >"$OUT_DIR/test.log" 2>&1 || log "test failed"
END=$(date +%s.%N)
cp $WORK/eval_*.json "$OUT_DIR/" 2>/dev/null
log "test wall time $(echo "$END - $START" | bc) s (process start + data + model)"
$PY tools/benchmark.py $CONFIG "$CKPT" --num-images 20 --warmup 2 --repeat-times 3 --log-interval 5 \
    $SPEED_FLAGS --json "$OUT_DIR/bench_test.json" >"$OUT_DIR/bench_test.log" 2>&1 \
    || log "test benchmark failed"

log "compiled-op parity tests on CUDA"
wait $BUILD_PID || log "mmcv._ext build failed (see build_ext.log)"
$PY -m pytest tests/test_mmcv/test_ops -q >"$OUT_DIR/ops_tests.log" 2>&1 || log "op tests failed"
if $PY -c 'import segmentation_models_pytorch' 2>/dev/null; then
    log "model speed beside smp"
    $PY bench/model_speed.py --device cuda --amp --channels-last --json "$OUT_DIR/model_speed.json" \
        >"$OUT_DIR/model_speed.log" 2>&1 || log "model_speed failed"
fi

$PY -m mmseg.utils.run_summary --out "$OUT_DIR/summary.json" --iters "$ITERS" --cuda-graph "$GRAPH" --work-dir "$WORK" \
    --bench-dir "$OUT_DIR" --config $CONFIG --wall "$(elapsed)" >"$OUT_DIR/summary.log" 2>&1 || log "summary failed"
log "done"
