#!/bin/bash
# Lays out .data/cifar10/ (git-ignored) for training/gpu_cifar.sh: the training pack as
# is, and the first 2000 test records (the test file is shuffled, so classes stay
# balanced). 52 MB, under the 64 MiB a GPU run may carry.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC="${XNOR_SHARED:-../shared}/data/cifar10"
mkdir -p .data/cifar10
cp "$SRC/train.jpgpack" .data/cifar10/train.jpgpack
head -c $((2000 * 3073)) "$SRC/test_batch.bin" > .data/cifar10/test2000.bin
chmod 644 .data/cifar10/*
ls -l .data/cifar10
