#!/usr/bin/env bash
# npm run train:smoke — the whole training → browser path in about a minute on CPU, no build:
# train a tiny Fashion-MNIST XNOR net (training/train.py --smoke: 300 steps on 512 images,
# exports ONNX), convert it with our ONNX importer, evaluate the .xnn with our WASM runtime on
# the first 1000 test images (torch's accuracy must be matched within 1 %), and compare it
# with onnxruntime-node (scripts/onnx-parity.ts: every input within 1e-3 relative, same
# argmax). Needs /usr/bin/python3 with torch + onnx (or $XNOR_PYTHON), the Fashion-MNIST
# test set ($FMNIST_DIR, default /usr/share/datasets/fashion-mnist) and `npm ci`.
# The last line is `train:smoke ok: accuracy X, max rel err Y`; any failure exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${XNOR_PYTHON:-/usr/bin/python3}"
FMNIST="${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}"
N_EVAL=1000
TMP=$(mktemp -d "${TMPDIR:-/tmp}/xnor-train-smoke.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail() { echo "train:smoke FAILED: $*" >&2; exit 1; }
ts() { node --import tsx "$@"; }

# A fresh clone has no src/wasm/xnor.wasm (built, git-ignored): build it when missing or stale.
if [ ! -f src/wasm/xnor.wasm ] || [ -n "$(find assembly -newer src/wasm/xnor.wasm -print -quit)" ]; then
  echo "== build:wasm"
  npm run build:wasm --silent || fail "npm run build:wasm"
fi

echo "== unit tests (training/test_xnor_torch.py: layers, checkpoints, ONNX patterns, exact form)"
PYTHONPATH=training "$PYTHON" -m unittest training/test_xnor_torch.py 2>&1 | tail -n 3 || fail "training/test_xnor_torch.py"

echo "== train (training/train.py --smoke)"
"$PYTHON" training/train.py --smoke --limit-test "$N_EVAL" --out "$TMP" --onnx "$TMP/smoke.onnx" 2>&1 | tee "$TMP/train.log" ||
  fail "training/train.py --smoke (with $PYTHON)"
torch_acc=$(sed -n 's/^RESULT [^ ]* test_acc \([0-9.]*\) on \([0-9]*\) images.*/\1 \2/p' "$TMP/train.log" | tail -n 1)
[ -n "$torch_acc" ] || fail "no RESULT line from train.py"
[ -s "$TMP/smoke.onnx" ] || fail "train.py wrote no ONNX"

echo "== convert"
ts src/cli/main.ts convert "$TMP/smoke.onnx" -o "$TMP/smoke.xnn" --name smoke \
  --labels models/labels/fashion-mnist-classes.txt --input-size 28,28 --channels 1 --value-range 0,1 || fail "convert"

echo "== eval (WASM, first $N_EVAL test images)"
# Not `tee /dev/stderr`: when stderr is a file, reopening it truncates the caller's log.
ts src/cli/main.ts eval "$TMP/smoke.xnn" --data "$FMNIST" --limit "$N_EVAL" --every 0 --json > "$TMP/eval.out" || fail "eval"
cat "$TMP/eval.out" >&2
json=$(tail -n 1 "$TMP/eval.out")
acc=$(node -e '
  const r = JSON.parse(process.argv[1]);
  const [torchPct, torchN] = process.argv[2].split(" ").map(Number);
  if (r.n !== torchN) { console.error(`eval ran ${r.n} images, torch ${torchN}`); process.exit(1); }
  const d = Math.abs(r.top1 - torchPct / 100);
  if (!(d <= 0.01)) { console.error(`WASM top-1 ${r.top1} vs torch ${torchPct / 100}: differs by ${d.toFixed(4)} (> 0.01)`); process.exit(1); }
  console.log(r.top1.toFixed(4));
' "$json" "$torch_acc") || fail "accuracy of the .xnn does not match torch's"

echo "== parity with onnxruntime-node (scripts/onnx-parity.ts)"
ts scripts/onnx-parity.ts "$TMP/smoke.onnx" --n 50 --tol 1e-3 | tee "$TMP/parity.log" || fail "parity with onnxruntime-node"
rel=$(sed -n 's/^ *ours vs ort *: max rel \([^,]*\),.*/\1/p' "$TMP/parity.log")
[ -n "$rel" ] || fail "no parity line from onnx-parity.ts"

echo "train:smoke ok: accuracy $acc, max rel err $rel"
