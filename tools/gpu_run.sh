#!/usr/bin/env bash
# DRIVE end to end on one GPU, as one command: convert the zips, measure the train step, train the headline
# recipe (configs/unet++/unet++_r34_40k_drive_1gpu_bs16_amp.py), evaluate mDice on the 20 test images, time the
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
CONFIG=${CONFIG:-configs/unet++/unet++_r34_40k_drive_1gpu_bs16_amp.py}
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

log "convert DRIVE"
$PY tools/convert_datasets/drive.py "$TRAIN_ZIP" "$TEST_ZIP" -o data/DRIVE --force >"$OUT_DIR/convert.log" 2>&1 \
    || { log "convert failed"; exit 1; }

log "train-step benchmark"
for bs in 4 16; do
    $PY tools/benchmark.py $CONFIG --train --samples-per-gpu $bs $SPEED_FLAGS \
        --num-images $(( bs * BENCH_STEPS )) --log-interval 25 --warmup 20 --json "$OUT_DIR/bench_train_bs$bs.json" \
        >"$OUT_DIR/bench_train_bs$bs.log" 2>&1 || log "benchmark bs=$bs failed"
done

ITERS=$($PY - "$OUT_DIR/bench_train_bs16.json" "$BUDGET_S" "$(elapsed)" <<'PY'
import json, sys
report, budget, spent = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
try:
    img_s = json.load(open(report))['images_per_s']
except Exception:
    img_s = None
left = budget - spent - 75  # start-up, final evaluation and summary
iters = 40000 if img_s is None else int(min(40000, max(500, left / (16 / img_s) / 1.08)))
print(iters // 100 * 100)
PY
)
ITERS=${MAX_ITERS:-$ITERS}
log "training $ITERS iterations"
timeout $(( BUDGET_S - $(elapsed) - 40 )) $PY tools/train.py $CONFIG --work-dir $WORK \
    --cfg-options runner.max_iters=$ITERS evaluation.interval=$ITERS checkpoint_config.interval=$ITERS \
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

$PY -m mmseg.utils.run_summary --out "$OUT_DIR/summary.json" --iters "$ITERS" --work-dir "$WORK" \
    --bench-dir "$OUT_DIR" --config $CONFIG --wall "$(elapsed)" >"$OUT_DIR/summary.log" 2>&1 || log "summary failed"
log "done"
