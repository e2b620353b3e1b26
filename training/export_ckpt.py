#!/usr/bin/env python3
"""Evaluate a compact checkpoint on its data set's test split (CPU) and/or export it
to ONNX. Usage: export_ckpt.py CKPT [--onnx OUT.onnx] [--eval] [--limit N] [--no-exact]

A plain net (models.py) is evaluated and exported in its exact-parity form (exact.py),
which takes raw pixels 0..255; other nets take pixel / 255. The ONNX metadata entry
xnor_torch.value_range says which ("0,255" or "0,1")."""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from xnor_torch import data  # noqa: E402
from xnor_torch.compact import load_compact  # noqa: E402
from xnor_torch.exact import NotExactError, export_form  # noqa: E402
from xnor_torch.export import export_onnx  # noqa: E402
from xnor_torch.models import input_shape  # noqa: E402


@torch.no_grad()
def accuracy(model, x, y, scale, batch=500):
    correct = 0
    for i in range(0, len(x), batch):
        correct += (model(x[i:i + batch].float() * scale).argmax(1) == y[i:i + batch]).sum().item()
    return 100.0 * correct / len(x)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("ckpt")
    p.add_argument("--onnx")
    p.add_argument("--eval", action="store_true")
    p.add_argument("--limit", type=int, help="evaluate on the first N test images")
    p.add_argument("--threads", type=int)
    p.add_argument("--no-exact", action="store_true", help="export a plain net as trained")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    model = load_compact(a.ckpt)
    meta = model.compact_meta
    print(f"{a.ckpt}: {meta['arch']} {meta.get('kwargs')} epoch {meta.get('epoch')} "
          f"trained-side test_acc {meta.get('test_acc')} on {meta.get('test_n')}")
    scale, value_range = 1 / 255, "0,1"
    if not a.no_exact:
        try:
            model, scale, value_range = export_form(model), 1.0, "0,255"
            print("exact-parity form: input pixels 0..255, stem weights on a power-of-two grid")
        except NotExactError as e:
            print(f"no exact-parity form ({e}); exported as trained")
    if a.eval:
        if meta["dataset"] == "fmnist":
            x, y = data.fashion_mnist()[2:]
        else:
            root = os.path.join(data.shared_dir(), "data", "cifar10")
            x, y = data.read_cifar_bin(os.path.join(root, "test_batch.bin"))
        x, y = x[:a.limit], y[:a.limit]
        t = time.time()
        print(f"test_acc {accuracy(model, x, y, scale):.2f} on {len(x)} images "
              f"({time.time() - t:.0f}s)", flush=True)
    if a.onnx:
        export_onnx(model, torch.zeros(1, *input_shape(meta["arch"])), a.onnx,
                    metadata={"xnor_torch.value_range": value_range})
        print(f"onnx -> {a.onnx} ({os.path.getsize(a.onnx) / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
