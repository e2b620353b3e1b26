"""Compact checkpoints: binary-layer weights as packed sign bits + alpha per output
channel, everything else float32. ResNet-18 (11M binary weights) fits in ~2 MB instead
of 44 MB, and reloads to a model whose forward is bit-identical to the trained one,
because a binary layer's forward depends only on sign(W) and alpha.

File layout: an uncompressed numpy .npz (zip) written under any name (we use .ckpt):
  __meta__                 uint8 bytes of a UTF-8 JSON object: {"arch", "kwargs", ...}
  <layer>.weight.bits      uint8, np.packbits(W >= 0) over W flattened C-order, MSB first
  <layer>.weight.alpha     float32 [out_channels]
  <layer>.weight.shape     int64 shape of W
  <name>                   float32 (integer buffers keep their dtype) for all other
                           parameters and buffers of model.state_dict()
"""
import io
import json

import numpy as np
import torch

from .binary import binary_layers, freeze_binary
from .models import build

FORMAT = "xnor_torch.compact/1"


def save_compact(model, path, meta=None):
    """meta must contain "arch" (a name in models.ARCHS) and may contain "kwargs"."""
    meta = dict(meta or {})
    if "arch" not in meta:
        raise ValueError("meta needs 'arch' so load_compact can rebuild the model")
    meta.setdefault("kwargs", {})
    meta["format"] = FORMAT
    binary = {f"{n}.weight": m for n, m in binary_layers(model)}
    arrays = {}
    for name, t in model.state_dict().items():
        t = t.detach().cpu()
        if name in binary:
            with torch.no_grad():
                wb = binary[name].binary_weight().detach().cpu().float()
            # alpha read back from alpha·sign(W) itself: recomputing mean|W| of a frozen
            # weight can be one ulp off, and the reload must be bit-identical.
            arrays[name + ".alpha"] = wb.abs().flatten(1)[:, 0].numpy()
            arrays[name + ".bits"] = np.packbits((wb >= 0).numpy().reshape(-1))
            arrays[name + ".shape"] = np.array(wb.shape, dtype=np.int64)
        elif t.is_floating_point():
            arrays[name] = t.float().numpy()
        else:
            arrays[name] = t.numpy()
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def read_compact(path):
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(arrays.pop("__meta__").tobytes().decode())
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: not a {FORMAT} file")
    return meta, arrays


def unpack_weight(arrays, name):
    shape = tuple(int(s) for s in arrays[name + ".shape"])
    n = int(np.prod(shape))
    bits = np.unpackbits(arrays[name + ".bits"])[:n].reshape(shape).astype(np.float32)
    alpha = arrays[name + ".alpha"].reshape((-1,) + (1,) * (len(shape) - 1))
    return (2 * bits - 1) * alpha


def load_compact(path, map_location="cpu"):
    """Rebuild the model (eval mode, binary layers frozen); returns the model.
    The meta dict is available as model.compact_meta."""
    meta, arrays = read_compact(path)
    model = build(meta["arch"], **meta.get("kwargs", {}))
    freeze_binary(model)
    state = {}
    for name, ref in model.state_dict().items():
        if name + ".bits" in arrays:
            state[name] = torch.from_numpy(unpack_weight(arrays, name))
        else:
            state[name] = torch.from_numpy(np.array(arrays[name])).to(ref.dtype)
    model.load_state_dict(state)
    model.compact_meta = meta
    return model.to(map_location).eval()
