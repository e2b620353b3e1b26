"""Two binarized nets written the way papers' PyTorch code writes them — no xnor_torch layers —
to test that the ONNX importer takes them as exported by a plain `torch.onnx.export`
(training/README.md, "Bring your own PyTorch BNN"; tests/convert/byo-pytorch.test.ts).

  birealnet18   Bi-Real-Net-18 layout (Liu et al. 2018): 4 stages x 2 blocks x 2 binary 3x3
                convs, each `x + BN(BinConv(sign(x)))` with a real-valued shortcut; the
                activation sign uses Bi-Real's polynomial straight-through estimator
                (`sign(x).detach() - p(x).detach() + p(x)`), the weights
                `sign(W) * mean|W|` per output channel with the detach trick; downsampling
                shortcut AvgPool(2) -> 1x1 float conv -> BN.
  reactnet      ReActNet-style MobileNet blocks (Liu et al. 2020): RSign (sign(x - beta) per
                channel), RPReLU (PReLU(x - gamma) + zeta per channel), binary 3x3 depth-
                preserving convs and 1x1 convs, downsampling by AvgPool(2) shortcuts and by
                concatenating two 1x1 binary convs on the same input; Hardtanh before the pool.

    /usr/bin/python3 training/byo/nets.py OUT_DIR [N_INPUTS=100]

writes OUT_DIR/<net>.onnx (opset 13, torch.onnx.export defaults: constant folding on),
<net>.x.npy (N random NCHW inputs, seeded), <net>.y.npy (torch's outputs) and <net>.json
({"binary_convs": count}). Random init with randomized BatchNorm statistics, eval mode.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class BinaryActivation(nn.Module):
    """Bi-Real Net's sign with the piecewise-polynomial straight-through estimator."""

    def forward(self, x):
        out_forward = torch.sign(x)
        mask1 = x < -1
        mask2 = x < 0
        mask3 = x < 1
        out1 = (-1) * mask1.type(torch.float32) + (x * x + 2 * x) * (1 - mask1.type(torch.float32))
        out2 = out1 * mask2.type(torch.float32) + (-x * x + 2 * x) * (1 - mask2.type(torch.float32))
        out3 = out2 * mask3.type(torch.float32) + 1 * (1 - mask3.type(torch.float32))
        return out_forward.detach() - out3.detach() + out3


class HardBinaryConv(nn.Module):
    """Bi-Real Net's binary conv: weights sign(W) * mean|W| per output channel, binarized in forward."""

    def __init__(self, cin, cout, k=3, stride=1, padding=1):
        super().__init__()
        self.stride, self.padding = stride, padding
        self.weight = nn.Parameter(torch.randn(cout, cin, k, k) * 0.1)

    def forward(self, x):
        w = self.weight
        scaling = torch.mean(torch.mean(torch.mean(abs(w), dim=3, keepdim=True), dim=2, keepdim=True), dim=1, keepdim=True)
        scaling = scaling.detach()
        binary_no_grad = scaling * torch.sign(w)
        clipped = torch.clamp(w, -1.0, 1.0)
        binary = binary_no_grad.detach() - clipped.detach() + clipped
        return F.conv2d(x, binary, stride=self.stride, padding=self.padding)


class BiRealBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.act = BinaryActivation()
        self.conv = HardBinaryConv(cin, cout, 3, stride, 1)
        self.bn = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        res = x if self.down is None else self.down(x)
        return self.bn(self.conv(self.act(x))) + res


class BiRealNet18(nn.Module):
    def __init__(self, widths=(16, 32, 64, 128), classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]))
        blocks, cin = [], widths[0]
        for i, w in enumerate(widths):
            for j in range(2):  # a BasicBlock of ResNet-18 = 2 Bi-Real units
                for _ in range(2):
                    blocks.append(BiRealBlock(cin, w, 2 if (i > 0 and j == 0 and cin != w) else 1))
                    cin = w
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(self.pool(x), 1))


class LearnableBias(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bias = nn.Parameter(torch.randn(1, c, 1, 1) * 0.1)

    def forward(self, x):
        return x + self.bias.expand_as(x)


class RSign(nn.Module):
    """ReActNet's sign with a learnable per-channel threshold: sign(x + b)."""

    def __init__(self, c):
        super().__init__()
        self.move = LearnableBias(c)

    def forward(self, x):
        return torch.sign(self.move(x))


class RPReLU(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.m0, self.prelu, self.m1 = LearnableBias(c), nn.PReLU(c), LearnableBias(c)
        with torch.no_grad():
            self.prelu.weight.uniform_(0.05, 0.4)

    def forward(self, x):
        return self.m1(self.prelu(self.m0(x)))


class ReactConv(nn.Module):
    """Binary conv as in ReActNet's code: sign(W) * mean|W| per output channel."""

    def __init__(self, cin, cout, k, stride=1, padding=0):
        super().__init__()
        self.stride, self.padding = stride, padding
        self.weight = nn.Parameter(torch.rand(cout, cin, k, k) * 0.001)

    def forward(self, x):
        real = self.weight
        scaling = torch.mean(torch.mean(torch.mean(abs(real), dim=3, keepdim=True), dim=2, keepdim=True), dim=1, keepdim=True).detach()
        binary_no_grad = scaling * torch.sign(real)
        clipped = torch.clamp(real, -1.0, 1.0)
        return F.conv2d(x, binary_no_grad.detach() - clipped.detach() + clipped, stride=self.stride, padding=self.padding)


class ReactBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride, self.cin, self.cout = stride, cin, cout
        self.s3, self.c3, self.bn3, self.a3 = RSign(cin), ReactConv(cin, cin, 3, stride, 1), nn.BatchNorm2d(cin), RPReLU(cin)
        self.s1 = RSign(cin)
        self.pool = nn.AvgPool2d(2, 2) if stride == 2 else None
        if cout == cin:
            self.c1, self.bn1, self.a1 = ReactConv(cin, cout, 1), nn.BatchNorm2d(cout), RPReLU(cout)
        else:  # channel doubling: two 1x1 binary convs on the same sign, concatenated
            assert cout == 2 * cin
            self.c1a, self.c1b = ReactConv(cin, cin, 1), ReactConv(cin, cin, 1)
            self.bn1a, self.bn1b = nn.BatchNorm2d(cin), nn.BatchNorm2d(cin)
            self.a1 = RPReLU(cout)

    def forward(self, x):
        out = self.bn3(self.c3(self.s3(x)))
        if self.pool is not None:
            x = self.pool(x)
        out = self.a3(out + x)
        s = self.s1(out)
        if self.cin == self.cout:
            y = self.bn1(self.c1(s)) + out
        else:
            y = torch.cat([self.bn1a(self.c1a(s)) + out, self.bn1b(self.c1b(s)) + out], 1)
        return self.a1(y)


class ReActNet(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16))
        cfg = [(16, 16, 1), (16, 32, 2), (32, 32, 1), (32, 64, 2), (64, 64, 1)]
        self.blocks = nn.Sequential(*[ReactBlock(a, b, s) for a, b, s in cfg])
        self.act = nn.Hardtanh()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.act(self.blocks(self.stem(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


def randomize_bn(model, g):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=g) * 0.2)
            m.running_var.copy_(torch.rand(c, generator=g) * 0.5 + 0.5)
            m.weight.data.copy_(torch.rand(c, generator=g) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(c, generator=g) * 0.1)


NETS = {"birealnet18": BiRealNet18, "reactnet": ReActNet}


def binary_convs(model):
    return sum(isinstance(m, (HardBinaryConv, ReactConv)) for m in model.modules())


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    os.makedirs(out, exist_ok=True)
    for name, cls in NETS.items():
        torch.manual_seed(17)
        g = torch.Generator().manual_seed(17)
        model = cls().eval()
        randomize_bn(model, g)
        x = torch.randn(n, 3, 32, 32, generator=g)
        with torch.no_grad():
            y = model(x)
        path = os.path.join(out, f"{name}.onnx")
        torch.onnx.export(model, x[:1], path, opset_version=13, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
        np.save(os.path.join(out, f"{name}.x.npy"), x.numpy().astype(np.float32))
        np.save(os.path.join(out, f"{name}.y.npy"), y.numpy().astype(np.float32))
        with open(os.path.join(out, f"{name}.json"), "w") as f:
            json.dump({"binary_convs": binary_convs(model)}, f)
        print(name, "binary convs", binary_convs(model))


if __name__ == "__main__":
    main()
