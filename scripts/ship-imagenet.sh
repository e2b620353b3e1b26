#!/usr/bin/env bash
# Rebuilds the shipped models/imagenet-resnet18.xnn from BMXNet's ImageNet ResNet-18 in the
# shared folder: convert, evaluate on the 500 shared photos with our runtime, convert again
# with that accuracy recorded in the metadata (models/imagenet-resnet18.md is its model card).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${XNOR_SHARED:-../shared}"
SRC="$SHARED/models/bmxnet/binarized_imagenet-resnet18-64bit"
OUT=models/imagenet-resnet18.xnn
cli() { node --import tsx src/cli/main.ts "$@"; }
conv() { cli convert "$SRC-symbol.json" "$SRC-0040.params" --preset imagenet --name imagenet-resnet18 -o "$OUT" "$@"; }
conv
json=$(cli eval "$OUT" --data "$SHARED/data/imagenet-sample" --json --every 0 | tail -n 1)
get() { node -e "console.log(JSON.parse(process.argv[1]).$1)" "$json"; }
conv --accuracy "imagenet-sample-500:$(get n):$(get top1):$(get top5)"
echo "$OUT  top-1 $(get top1) top-5 $(get top5) on $(get n)  $(stat -c %s "$OUT") bytes  sha256 $(sha256sum "$OUT" | cut -c1-64)"
