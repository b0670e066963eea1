#!/usr/bin/env bash
# Run DRIVE ablation configs one after another (same seed, same machine) and print one table of their final
# validation metrics. Each config in configs/unet++/ablation/ changes one thing against the 4k-iteration base.
#   bash bench/drive_ablation.sh [CONFIG ...]       (default: every config in configs/unet++/ablation/)
# Needs data/DRIVE (python tools/convert_datasets/drive.py training.zip test.zip). Work dirs:
# $WORK_ROOT/<config name>/ (WORK_ROOT defaults to work_dirs/ablation); a config whose run finished there is
# not run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
SEED=${SEED:-0}
export WORK_ROOT=${WORK_ROOT:-work_dirs/ablation}
if [ "$#" -eq 0 ]; then
    set -- configs/unet++/ablation/*.py
fi
for cfg in "$@"; do
    [ -f "$cfg" ] || { echo "drive_ablation: config $cfg does not exist" >&2; exit 2; }
done
for cfg in "$@"; do
    name=$(basename "$cfg" .py)
    wd=$WORK_ROOT/$name
    if [ -f "$wd/DONE" ]; then
        echo "== $name: already done ($wd), skipped"
        continue
    fi
    mkdir -p "$WORK_ROOT"
    echo "== $name: training ($(date +%H:%M:%S))"
    start=$(date +%s)
    "$PY" tools/train.py "$cfg" --work-dir "$wd" --seed "$SEED" > "$wd.stdout" 2>&1 || {
        echo "drive_ablation: $name failed; see $wd.stdout" >&2; exit 1; }
    echo $(( $(date +%s) - start )) > "$wd/DONE"
done
"$PY" - "$@" <<'PYEOF'
import os, sys
from mmseg.utils.run_summary import last_val_record, newest
rows = []
for cfg in sys.argv[1:]:
    name = os.path.basename(cfg)[:-3]
    wd = os.path.join(os.environ['WORK_ROOT'], name)
    log = newest(f'{wd}/*.log.json')
    val = last_val_record(log) if log else None
    secs = open(f'{wd}/DONE').read().strip() if os.path.exists(f'{wd}/DONE') else '?'
    if val is None:
        rows.append((name, '-', '-', '-', '-', secs))
        continue
    pct = lambda key: f'{100 * val[key]:.2f}' if key in val else '-'
    rows.append((name, pct('mDice'), pct('Dice.vessel'), pct('fov.AUC'), pct('fov.F1'), secs))
print(f"{'config':45s} {'mDice':>7s} {'vDice':>7s} {'AUC':>7s} {'F1':>7s} {'sec':>6s}")
for r in rows:
    print(f'{r[0]:45s} {r[1]:>7s} {r[2]:>7s} {r[3]:>7s} {r[4]:>7s} {r[5]:>6s}')
PYEOF
