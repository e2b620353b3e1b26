#!/usr/bin/env python3
"""Train an XNOR / BWN / float net on Fashion-MNIST or CIFAR-10.

The learning rate follows a linear warm-up then a cosine over the run's progress:
steps / total steps with --epochs, or elapsed wall time / budget with --time-budget,
so a budgeted run always ends on time with a fully annealed model.

Outputs (under --out): NAME.ckpt (compact, see xnor_torch/compact.py), written every
epoch; NAME.state.pt (full state for --resume, or --state); NAME.onnx with --onnx.
"""
import argparse
import copy
import math
import os
import sys
import tempfile
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from xnor_torch import data  # noqa: E402
from xnor_torch.binary import binary_layers, freeze_binary  # noqa: E402
from xnor_torch.compact import load_compact, save_compact  # noqa: E402
from xnor_torch.export import export_onnx  # noqa: E402
from xnor_torch.models import build, input_shape  # noqa: E402

AUGMENT = {"fmnist": dict(pad=2, flip=True), "cifar10": dict(pad=4, flip=True)}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", choices=["fmnist", "cifar10"], default="fmnist")
    p.add_argument("--kind", choices=["xnor", "bwn", "float"], default="xnor")
    p.add_argument("--arch", help="a name from xnor_torch.models.ARCHS (default DATASET_KIND)")
    p.add_argument("--width", type=int, help="base channel width of the compact nets")
    p.add_argument("--name", help="file name stem of the outputs (default: arch)")
    p.add_argument("--out", default=os.path.join(data.REPO_ROOT, "training", "runs"))
    p.add_argument("--state", help="full checkpoint path (default OUT/NAME.state.pt; 'none' off)")
    p.add_argument("--state-every", type=float, default=0,
                   help="seconds between full checkpoints (0: every epoch)")
    p.add_argument("--resume", action="store_true", help="continue from --state if it exists")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--time-budget", type=float, help="seconds; overrides --epochs")
    p.add_argument("--max-steps", type=int, help="stop (annealed) after this many steps")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--wd", type=float, default=0.01,
                   help="AdamW decay of float conv/fc weights (binary weights, BN: none)")
    p.add_argument("--warmup", type=float, default=0.02, help="fraction of the run")
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--device", default="cpu")
    p.add_argument("--amp", action="store_true", help="bf16 autocast (CUDA)")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--workers", type=int, help="JPEG decoding processes")
    p.add_argument("--limit-train", type=int)
    p.add_argument("--limit-test", type=int)
    p.add_argument("--train-file", help="CIFAR-10 train.jpgpack")
    p.add_argument("--test-file", help="CIFAR-10 test records (test_batch.bin layout)")
    p.add_argument("--onnx", help="export ONNX here at the end")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke", action="store_true",
                   help="tiny Fashion-MNIST XNOR run (<1 min on CPU); use with --onnx")
    a = p.parse_args(argv)
    if a.smoke:
        a.dataset, a.kind, a.width = "fmnist", "xnor", a.width or 16
        a.limit_train, a.limit_test = a.limit_train or 512, a.limit_test or 1000
        a.batch_size, a.epochs, a.max_steps = 32, 1000, a.max_steps or 300
        if a.out == p.get_default("out"):
            a.out = tempfile.mkdtemp(prefix="xnor-smoke-")
        a.state = a.state or "none"
    a.arch = a.arch or f"{a.dataset}_{a.kind}"
    a.name = a.name or a.arch
    if a.state is None:
        a.state = os.path.join(a.out, a.name + ".state.pt")
    return a


def load_data(a):
    if a.dataset == "fmnist":
        tx, ty, vx, vy = data.fashion_mnist()
        tx, ty, vx, vy = tx[:a.limit_train], ty[:a.limit_train], vx[:a.limit_test], vy[:a.limit_test]
    else:
        tx, ty, vx, vy = data.cifar10(a.train_file, a.test_file, a.limit_train, a.limit_test,
                                      a.workers)
    return tx, ty, vx, vy


def param_groups(model, wd):
    binary = {id(m.weight) for _, m in binary_layers(model)}
    decay, rest = [], []
    for p in model.parameters():
        (decay if p.dim() > 1 and id(p) not in binary else rest).append(p)
    return [{"params": decay, "weight_decay": wd}, {"params": rest, "weight_decay": 0.0}]


def lr_at(progress, a):
    warm = min(1.0, progress / a.warmup) if a.warmup > 0 else 1.0
    return a.lr * warm * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


@torch.no_grad()
def evaluate(model, x, y, a, batch=1000):
    model.eval()
    correct = 0
    for i in range(0, len(x), batch):
        xb = x[i:i + batch].float().div_(255)
        if a.channels_last:
            xb = xb.contiguous(memory_format=torch.channels_last)
        correct += (model(xb).argmax(1) == y[i:i + batch]).sum().item()
    model.train()
    return 100.0 * correct / len(x)


def save_atomic(fn, path):
    tmp = path + ".tmp"
    fn(tmp)
    os.replace(tmp, path)


def torch_load(path):
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except TypeError:  # torch < 1.13 has no weights_only
        return torch.load(path, map_location="cpu")


def main(argv=None):
    a = parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    dev = torch.device(a.device)
    t_load = time.time()
    tx, ty, vx, vy = load_data(a)  # before any CUDA work: JPEG decoding forks
    print(f"data {a.dataset}: train {tuple(tx.shape)} test {tuple(vx.shape)} "
          f"in {time.time() - t_load:.1f}s", flush=True)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    tx, ty, vx, vy = (t.to(dev) for t in (tx, ty, vx, vy))

    kwargs = {"width": a.width} if a.width else {}
    model = build(a.arch, **kwargs).to(dev)
    if a.channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt_kw = {}
    if dev.type == "cuda" and int(torch.__version__.split(".")[0]) >= 2:
        opt_kw["fused"] = True  # one kernel instead of dozens: steps are launch-bound
    opt = torch.optim.AdamW(param_groups(model, a.wd), lr=a.lr, **opt_kw)
    meta = {"arch": a.arch, "kwargs": kwargs, "dataset": a.dataset}

    steps_per_epoch = max(1, len(tx) // a.batch_size)
    total_steps = a.epochs * steps_per_epoch
    if a.max_steps:
        total_steps = min(total_steps, a.max_steps)
    epoch, step, elapsed0, history = 0, 0, 0.0, []
    if a.resume and a.state != "none" and os.path.exists(a.state):
        st = torch_load(a.state)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        epoch, step, elapsed0, history = st["epoch"], st["step"], st["elapsed"], st["history"]
        torch.set_rng_state(st["rng"])
        print(f"resumed {a.state}: epoch {epoch} step {step} elapsed {elapsed0:.0f}s", flush=True)

    def progress(now):
        if a.time_budget:
            return (elapsed0 + now - t0) / a.time_budget
        return step / total_steps

    def done(now):
        return progress(now) >= 1.0 or (a.max_steps and step >= a.max_steps)

    nparams = sum(p.numel() for p in model.parameters())
    nbin = sum(m.weight.numel() for _, m in binary_layers(model))
    where = torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"{torch.get_num_threads()} threads"
    print(f"model {a.arch} {kwargs}: {nparams / 1e6:.2f}M params, {nbin / 1e6:.2f}M binary; "
          f"batch {a.batch_size}, {steps_per_epoch} steps/epoch; torch {torch.__version__} "
          f"{dev} ({where}), amp {a.amp}", flush=True)
    crit = nn.CrossEntropyLoss(label_smoothing=a.label_smoothing)
    aug = AUGMENT[a.dataset]
    amp = torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=a.amp)
    t0 = time.time()
    last_state, lr = t0, 0.0
    model.train()
    while not done(time.time()):
        t_epoch, step_epoch = time.time(), step
        loss_sum = torch.zeros((), device=dev)
        correct = torch.zeros((), device=dev, dtype=torch.int64)
        seen = 0
        perm = torch.randperm(len(tx), device=dev)
        for i in range(steps_per_epoch):
            now = time.time()
            if done(now):
                break
            lr = lr_at(progress(now), a)
            for g in opt.param_groups:
                g["lr"] = lr
            idx = perm[i * a.batch_size:(i + 1) * a.batch_size]
            xb = data.augment(tx[idx], **aug)
            if a.channels_last:
                xb = xb.contiguous(memory_format=torch.channels_last)
            yb = ty[idx]
            with amp:
                out = model(xb)
                loss = crit(out.float(), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            seen += len(idx)
            loss_sum += loss.detach() * len(idx)
            correct += (out.argmax(1) == yb).sum()
        epoch += 1
        if dev.type == "cuda":
            torch.cuda.synchronize()
        train_time = time.time() - t_epoch
        acc = evaluate(model, vx, vy, a)
        elapsed = elapsed0 + time.time() - t0
        row = {"epoch": epoch, "step": step, "elapsed": round(elapsed, 1), "lr": lr,
               "loss": loss_sum.item() / max(seen, 1),
               "train_acc": 100.0 * correct.item() / max(seen, 1), "test_acc": acc}
        history.append(row)
        print(f"epoch {epoch:3d} step {step:6d} time {elapsed:7.1f}s lr {lr:.2e} "
              f"loss {row['loss']:.4f} train {row['train_acc']:5.2f}% "
              f"test {acc:5.2f}% ({len(vx)}) {seen / max(train_time, 1e-9):6.0f} img/s "
              f"{1000 * train_time / max(step - step_epoch, 1):6.1f} ms/step", flush=True)
        meta.update(epoch=epoch, step=step, test_acc=acc, test_n=len(vx))
        save_atomic(lambda p: save_compact(model, p, meta), os.path.join(a.out, a.name + ".ckpt"))
        if a.state != "none" and (done(time.time()) or time.time() - last_state >= a.state_every):
            st = {"model": model.state_dict(), "opt": opt.state_dict(), "epoch": epoch,
                  "step": step, "elapsed": elapsed, "history": history,
                  "rng": torch.get_rng_state(), "args": vars(a)}
            save_atomic(lambda p: torch.save(st, p), a.state)
            last_state = time.time()

    final = history[-1]["test_acc"] if history else float("nan")
    ckpt = os.path.join(a.out, a.name + ".ckpt")
    print(f"RESULT {a.name} test_acc {final:.2f} on {len(vx)} images, {epoch} epochs, "
          f"{step} steps, {elapsed0 + time.time() - t0:.0f}s -> {ckpt}", flush=True)
    if a.onnx:
        model.eval()
        cpu_model = load_compact(ckpt)
        if dev.type == "cpu":
            check_roundtrip(model, cpu_model, vx[:64])
        shape = input_shape(a.arch)
        export_onnx(cpu_model, torch.zeros(1, *shape), a.onnx)
        print(f"onnx -> {a.onnx} ({os.path.getsize(a.onnx) / 1e6:.2f} MB)", flush=True)
    return final


def check_roundtrip(model, reloaded, x_u8):
    """The compact checkpoint must reproduce the trained model's logits exactly.
    Freeze first: alpha = mean|W| depends in its last bit on W's memory layout, and the
    checkpoint holds the alpha of the layout it was saved from."""
    x = x_u8.cpu().float().div_(255).contiguous()
    frozen = freeze_binary(copy.deepcopy(model).cpu().float().eval())
    with torch.no_grad():
        a = frozen.to(memory_format=torch.contiguous_format)(x)
        b = reloaded(x)
    if not torch.equal(a, b):
        raise SystemExit(f"compact round trip differs: max |diff| {(a - b).abs().max():.3g}")
    print("compact round trip: logits identical", flush=True)


if __name__ == "__main__":
    main()
