#!/bin/bash
# Trains the CIFAR-10 nets on one GPU as parallel processes, each for BUDGET seconds of
# wall time (the LR schedule is a cosine over that time, so each ends fully annealed).
# Run from the repo root with .data/cifar10/ in place (training/make_gpu_data.sh).
#
# $OUT receives cifar10-KIND.log (per-epoch test accuracy, last line RESULT) and
# cifar10-KIND.ckpt (compact checkpoint, rewritten each epoch) for KIND in xnor, bwn.
# A float run (KINDS="xnor bwn float") only logs: its checkpoint is 45 MB.
# gpu.log samples GPU utilisation and memory.
#
# Knobs: BUDGET (s, default 420), KINDS, DEVICE (cuda), BATCH (256), PYTHON, and
# EXTRA (more train.py flags, e.g. "--limit-train 512" for a CPU dry run).
# A KINDS entry may be NAME=ARCH@LR to train another architecture under cifar10-NAME,
# e.g. KINDS="xnor-plain=cifar10_xnor_plain@2e-3".
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/xnor-gpu-out}
BUDGET=${BUDGET:-420}
KINDS=${KINDS:-"xnor bwn"}
DEVICE=${DEVICE:-cuda}
BATCH=${BATCH:-256}
PY=${PYTHON:-python3}
EXTRA=${EXTRA:-}
STATE=$(mktemp -d /tmp/xnor-state.XXXXXX)   # full checkpoints: big, not returned
mkdir -p "$OUT"
FAST=${FAST-"--amp --channels-last"}
[ "$DEVICE" = cpu ] && FAST=${FAST/--amp/}

train() {  # entry budget fast-flags
  local out="$OUT" name=${1%%=*} spec=${1#*=} arch lr=2e-3
  [ "$name" = float ] && out="$STATE"
  if [ "$spec" = "$1" ]; then arch=cifar10_$1; else arch=${spec%@*}; lr=${spec#*@}; fi
  timeout $(( $2 + 120 )) "$PY" training/train.py --dataset cifar10 --arch "$arch" \
    --device "$DEVICE" $3 --batch-size "$BATCH" --lr "$lr" --time-budget "$2" \
    --train-file .data/cifar10/train.jpgpack --test-file .data/cifar10/test2000.bin \
    --workers 8 --threads 4 --out "$out" --name "cifar10-$name" \
    --state "$STATE/cifar10-$name.state.pt" --state-every 120 $EXTRA
}

run() {
  local kind=$1 log="$OUT/cifar10-${1%%=*}.log" start=$(date +%s)
  echo "# $(date -u +%FT%TZ) ${HOSTNAME:-} budget ${BUDGET}s batch $BATCH" > "$log"
  train "$kind" "$BUDGET" "$FAST" >> "$log" 2>&1 && return
  # One retry without bf16/channels_last in what is left of the budget, so an
  # incompatibility there costs accuracy, not the whole run.
  local left=$(( BUDGET - ($(date +%s) - start) ))
  if [ -n "$FAST" ] && [ "$left" -gt 60 ]; then
    echo "# first attempt failed; retrying without $FAST for ${left}s" >> "$log"
    train "$kind" "$left" "" >> "$log" 2>&1
  fi
}

pids=""
for kind in $KINDS; do run "$kind" & pids="$pids $!"; done
# GPU load every 20 s, to size the next run (is the GPU or the launch rate the limit?)
nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -l 20 \
  > "$OUT/gpu.log" 2>&1 &
smi=$!
wait $pids
kill "$smi" 2>/dev/null
grep -h -E "^(RESULT|Traceback|[A-Za-z]*Error)" "$OUT"/cifar10-*.log
for kind in $KINDS; do echo "== $kind"; tail -n 4 "$OUT/cifar10-${kind%%=*}.log"; done
ls -l "$OUT"
