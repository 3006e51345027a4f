#!/usr/bin/env bash
# Rebuilds resources/models/rose-tiny from scratch on a 2-core CPU (about 2 h 15 min):
# pre-training under a 7000 s budget, threshold tuning on 100 validation scenes, export with golden
# files, and the held-out evaluation on 200 test scenes written into the manifest.
# Usage: trainer/scripts/build-rose-tiny.sh [run-dir]   (run from anywhere; resumable with --resume by hand)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
run="${1:-trainer/runs/tiny}"
export PYTHONPATH="$root/trainer" OPENBLAS_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
py=/usr/bin/python3

$py -m rose_trainer pretrain --run-dir "$run" --steps 4500 --seed 0 --time-budget-s 7000
$py -m rose_trainer export --checkpoint "$run/checkpoint.pt" --out "$run/draft-pack" --force
$py -m rose_trainer evaluate --pack "$run/draft-pack" --tune-threshold --tune-scenes 100 --scenes 200 \
    --write-manifest --out "$run/draft-metrics.json"
$py -m rose_trainer export --checkpoint "$run/checkpoint.pt" --out resources/models/rose-tiny --name rose-tiny \
    --version 1.0.0 --inference-from "$run/draft-pack" --golden --force
$py -m rose_trainer evaluate --pack resources/models/rose-tiny --scenes 200 --write-manifest \
    --out "$run/rose-tiny-metrics.json"
