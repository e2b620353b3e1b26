#!/bin/bash
# Trains the Fashion-MNIST XNOR and BWN nets on CPU, in parallel with one thread each
# (two OpenMP threads per process collapse when the 2 cores are shared), for BUDGET
# seconds each. Outputs in training/runs/: NAME.ckpt (compact), NAME.onnx, NAME.log.
# Usage (from the repo root): nohup bash training/run_fmnist_cpu.sh &
cd "$(dirname "$0")/.."
PY=${PYTHON:-/usr/bin/python3}
BUDGET=${BUDGET:-2400}
mkdir -p training/runs
for kind in xnor bwn; do
  $PY training/train.py --dataset fmnist --kind $kind --width 32 --batch-size 128 \
    --time-budget "$BUDGET" --threads 1 --resume \
    --onnx training/runs/fmnist_$kind.onnx > training/runs/fmnist_$kind.log 2>&1 &
done
wait
grep -h RESULT training/runs/fmnist_*.log
