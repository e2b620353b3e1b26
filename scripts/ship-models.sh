#!/usr/bin/env bash
# Rebuilds the shipped models/*.xnn from training/checkpoints/*.ckpt (the compact
# checkpoints written by training/train.py): export ONNX with xnor_torch, convert with our
# ONNX importer, evaluate on the full test set with our runtime, and convert again with that
# accuracy recorded in the metadata. Needs /usr/bin/python3 with torch + onnx, `npm run build`.
# Usage: scripts/ship-models.sh [NAME...]   (default: all four)
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${XNOR_SHARED:-../shared}"
FMNIST="${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}"
WORK=tests/.cache/ship
mkdir -p "$WORK" models
cli() { node bin/xnor-web.js "$@"; }

ship() {  # name data labels input-size channels
  local name=$1 data=$2 labels=$3 size=$4 ch=$5
  PYTHONPATH=training /usr/bin/python3 training/export_ckpt.py "training/checkpoints/$name.ckpt" --onnx "$WORK/$name.onnx"
  local opts=(--labels "models/labels/$labels" --name "$name" --input-size "$size" --channels "$ch")  # value range: from the ONNX (exact form: 0..255)
  cli convert "$WORK/$name.onnx" -o "$WORK/$name.xnn" "${opts[@]}"
  local json
  json=$(cli eval "$WORK/$name.xnn" --data "$data" --json | tail -n 1)
  local n top1
  n=$(node -e "console.log(JSON.parse(process.argv[1]).n)" "$json")
  top1=$(node -e "console.log(JSON.parse(process.argv[1]).top1)" "$json")
  local dataset=$([ "$ch" = 1 ] && echo fashion-mnist-test || echo cifar10-test)
  cli convert "$WORK/$name.onnx" -o "models/$name.xnn" "${opts[@]}" --accuracy "$dataset:$n:$top1"
  # the exact-form stems (integer pixels x grid weights) run as an exact integer dot product
  node --import tsx scripts/mark-integer-stem.ts "models/$name.xnn"
  echo "models/$name.xnn  top1 $top1 on $n  $(stat -c %s "models/$name.xnn") bytes"
}

want() { local n=$1; shift; [ $# -eq 0 ] || [[ " $* " == *" $n "* ]]; }  # NAME [selection...]
want cifar10-xnor "$@" && ship cifar10-xnor "$SHARED/data/cifar10/test_batch.bin" cifar10-classes.txt 32,32 3
want cifar10-bwn "$@" && ship cifar10-bwn "$SHARED/data/cifar10/test_batch.bin" cifar10-classes.txt 32,32 3
want fashion-mnist-xnor "$@" && ship fashion-mnist-xnor "$FMNIST" fashion-mnist-classes.txt 28,28 1
want fashion-mnist-bwn "$@" && ship fashion-mnist-bwn "$FMNIST" fashion-mnist-classes.txt 28,28 1
true
