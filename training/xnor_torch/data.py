"""Data sets as whole uint8 tensors (they fit in memory, and on a GPU), plus
augmentation done on the training device so a fast GPU is not input-bound."""
import gzip
import io
import multiprocessing
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

FMNIST_DIR = os.environ.get("FMNIST_DIR", "/usr/share/datasets/fashion-mnist")
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def shared_dir():
    return os.environ.get("XNOR_SHARED") or os.path.join(REPO_ROOT, "..", "shared")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not a uint8 IDX file")
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def fashion_mnist(root=FMNIST_DIR):
    """(train_x [60000,1,28,28] u8, train_y i64, test_x, test_y)."""
    def part(prefix):
        x = read_idx(os.path.join(root, f"{prefix}-images-idx3-ubyte.gz"))
        y = read_idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte.gz"))
        return torch.from_numpy(x.copy()).unsqueeze(1), torch.from_numpy(y.astype(np.int64))
    return (*part("train"), *part("t10k"))


def read_cifar_bin(path, limit=None):
    """CIFAR binary records: 1 label byte + 3072 bytes CHW. -> (x [N,3,32,32] u8, y i64)."""
    raw = np.fromfile(path, dtype=np.uint8)
    rec = raw.reshape(-1, 3073)[:limit]
    x = torch.from_numpy(rec[:, 1:].reshape(-1, 3, 32, 32).copy())
    return x, torch.from_numpy(rec[:, 0].astype(np.int64))


def _decode_jpegs(blobs):
    from PIL import Image
    return np.stack([np.asarray(Image.open(io.BytesIO(b)).convert("RGB")) for b in blobs])


def read_jpgpack(path, limit=None, workers=None):
    """JPGPACK1 file -> (x [N,3,H,W] u8, y i64); decoded once, in parallel."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"JPGPACK1":
        raise ValueError(f"{path}: not a JPGPACK1 file")
    (count,) = struct.unpack_from("<I", data, 8)
    count = min(count, limit) if limit else count
    pos, labels, blobs = 12, [], []
    for _ in range(count):
        label, length = struct.unpack_from("<BI", data, pos)
        labels.append(label)
        blobs.append(data[pos + 5:pos + 5 + length])
        pos += 5 + length
    workers = workers or os.cpu_count() or 1
    chunk = max(1, -(-count // (workers * 4)))
    chunks = [blobs[i:i + chunk] for i in range(0, count, chunk)]
    if workers > 1 and len(chunks) > 1:
        # fork before any CUDA work (callers decode first); spawn would re-import torch.
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_decode_jpegs, chunks)
    else:
        parts = [_decode_jpegs(c) for c in chunks]
    x = torch.from_numpy(np.concatenate(parts)).permute(0, 3, 1, 2).contiguous()
    return x, torch.tensor(labels, dtype=torch.int64)


def cifar10(train_file=None, test_file=None, limit_train=None, limit_test=None, workers=None):
    root = os.path.join(shared_dir(), "data", "cifar10")
    train_x, train_y = read_jpgpack(train_file or os.path.join(root, "train.jpgpack"),
                                    limit_train, workers)
    test_x, test_y = read_cifar_bin(test_file or os.path.join(root, "test_batch.bin"), limit_test)
    return train_x, train_y, test_x, test_y


def augment(x, pad=0, flip=False):
    """Random crop with zero padding `pad` and random horizontal flip on a uint8 batch
    [B,C,H,W], on whatever device it lives; returns float in [0, 1]."""
    b, c, h, w = x.shape
    dev = x.device
    if pad:
        xp = F.pad(x, (pad, pad, pad, pad))
        oy = torch.randint(0, 2 * pad + 1, (b, 1), device=dev)
        ox = torch.randint(0, 2 * pad + 1, (b, 1), device=dev)
        rows = (oy + torch.arange(h, device=dev))[:, None, :, None]
        cols = (ox + torch.arange(w, device=dev))[:, None, None, :]
        x = xp[torch.arange(b, device=dev)[:, None, None, None],
               torch.arange(c, device=dev)[None, :, None, None], rows, cols]
    if flip:
        mask = (torch.rand(b, device=dev) < 0.5)[:, None, None, None]
        x = torch.where(mask, x.flip(3), x)
    return x.float().div_(255)
