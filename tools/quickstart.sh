#!/usr/bin/env bash
# Quick start on a fresh machine, no GPU or DRIVE needed: set up .venv, write synthetic DRIVE-format zips,
# convert them with the real converter, train the short synthetic config through train_dist.sh, evaluate mDice,
# draw TP/FP/FN overlays and plot the training curves.  Everything lands in work_dirs/quickstart/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CONFIG=configs/unet++/unet++_r34_600it_synthetic_drive.py
WORK=work_dirs/quickstart
START=$(date +%s)

bash tools/setup_env.sh
# shellcheck disable=SC1091
. .venv/bin/activate
export PYTHON=python

python tools/make_synthetic_drive.py data/synthetic_zips --num-train 8 --num-test 4 --seed 0
python tools/convert_datasets/drive.py data/synthetic_zips/training.zip data/synthetic_zips/test.zip \
    -o data/synthetic_drive --force
# the other retinal sets' converters on synthetic archives in their official naming (small images)
S=data/synthetic_retinal
python tools/make_synthetic_retinal.py "$S/stare" --dataset stare --size 96 83
python tools/convert_datasets/stare.py "$S"/stare/stare-images.tar "$S"/stare/labels-ah.tar "$S"/stare/labels-vk.tar \
    -o "$S/STARE" --force
python tools/make_synthetic_retinal.py "$S/chase_db1" --dataset chase_db1 --size 100 96
python tools/convert_datasets/chase_db1.py "$S"/chase_db1/CHASEDB1.zip -o "$S/CHASE_DB1" --force
python tools/make_synthetic_retinal.py "$S/hrf" --dataset hrf --size 105 70
python tools/convert_datasets/hrf.py "$S"/hrf/{healthy,healthy_manualsegm,glaucoma,glaucoma_manualsegm}.zip \
    "$S"/hrf/{diabetic_retinopathy,diabetic_retinopathy_manualsegm}.zip -o "$S/HRF" --force \
    --fov-masks "$S"/hrf/{healthy,glaucoma,diabetic_retinopathy}_fovmask.zip
rm -rf "$WORK"
bash train_dist.sh "$CONFIG" 1 --work-dir "$WORK" --seed 0
python tools/test.py "$CONFIG" "$WORK/latest.pth" --eval mDice --work-dir "$WORK" --show-dir "$WORK/show"
python tools/analyze_logs.py plot_curve "$WORK"/*.log.json --keys loss mDice --out "$WORK/curves.png"

cat <<MSG

Quick start finished in $(( $(date +%s) - START )) s. Results in $WORK/:
  training log          $(ls "$WORK"/*.log | head -1)
  checkpoint            $WORK/latest.pth
  test metrics (JSON)   $(ls "$WORK"/eval_*.json | tail -1)
  overlays              $WORK/show/  (green: vessel found, red: false vessel, blue: missed vessel)
  curves                $WORK/curves.png
  STARE/CHASE_DB1/HRF   $S/{STARE,CHASE_DB1,HRF}/  (their converters on synthetic archives)

Next, the real DRIVE data (official zips):
  . .venv/bin/activate
  python tools/convert_datasets/drive.py training.zip test.zip -o data/DRIVE
  bash train_dist.sh configs/unet++/unet++_r34_40k_drive.py 1        # 1 GPU (or CPU processes without one)
  python tools/train.py configs/unet++/unet++_r34_16k_drive_cpu_adamw_rot90.py   # no GPU: ~45 min on 2 cores
  python tools/train.py configs/unet++/unet++_r34_32k_drive_cpu_adamw_rot90.py   # no GPU, best: mDice 89.60 in ~80 min
  python tools/test.py configs/unet++/unet++_r34_40k_drive.py work_dirs/unet++_r34_40k_drive/latest.pth --eval mDice
MSG
