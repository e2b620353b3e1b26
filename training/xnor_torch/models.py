"""Architectures. Each comes as xnor (1-bit weights and activations), bwn (1-bit
weights, float activations) and, for the compact nets, float (the reference).

All nets take NCHW float input in [0, 1] and normalise it with a fixed InputNorm, so
the exported graph needs no preprocessing beyond scaling pixels to [0, 1]. The first
conv and the last fully connected layer stay full precision, as in the paper.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .binary import BWNConv2d, BWNLinear, XNORConv2d, XNORLinear

KINDS = ("xnor", "bwn", "float")


class InputNorm(nn.BatchNorm2d):
    """Fixed per-channel (x - mean) / std; a frozen BatchNorm so ONNX sees
    BatchNormalization rather than Sub/Div."""

    def __init__(self, mean, std):
        # eps must be > 0 for torch >= 2; 1e-12 vanishes against var in f32.
        super().__init__(len(mean), eps=1e-12, affine=False)
        self.running_mean.copy_(torch.tensor(mean))
        self.running_var.copy_(torch.tensor(std) ** 2)

    def forward(self, x):
        return F.batch_norm(x, self.running_mean, self.running_var, None, None, False, 0.0, self.eps)


CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
FMNIST_MEAN, FMNIST_STD = (0.2860,), (0.3530,)
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def _check_kind(kind):
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")


def conv_block(kind, cin, cout, k, stride=1, padding=0, pool=None, input_scale=False):
    """The paper's block order: BN -> BinActiv -> BinConv -> Pool for xnor;
    Conv -> BN -> ReLU -> Pool for bwn and float (their input is real-valued)."""
    _check_kind(kind)
    layers = []
    if kind == "xnor":
        layers += [nn.BatchNorm2d(cin),
                   XNORConv2d(cin, cout, k, stride, padding, input_scale=input_scale)]
    else:
        conv = BWNConv2d if kind == "bwn" else nn.Conv2d
        layers += [conv(cin, cout, k, stride, padding, bias=False), nn.BatchNorm2d(cout),
                   nn.ReLU(inplace=True)]
    if pool:
        layers.append(nn.MaxPool2d(*pool))
    return layers


def fc_block(kind, fin, fout, input_scale=False):
    if kind == "xnor":
        return [nn.BatchNorm1d(fin), XNORLinear(fin, fout, input_scale=input_scale)]
    lin = BWNLinear if kind == "bwn" else nn.Linear
    return [lin(fin, fout, bias=False), nn.BatchNorm1d(fout), nn.ReLU(inplace=True)]


def _head(kind, fin, classes):
    # xnor blocks end in a raw binary conv/fc output, so normalise before the float layer.
    pre = [nn.BatchNorm1d(fin), nn.ReLU(inplace=True)] if kind == "xnor" else []
    return pre + [nn.Linear(fin, classes)]


# --- compact nets -----------------------------------------------------------------

def fmnist_net(kind="xnor", classes=10, width=64, input_scale=True):
    """28x28 grey. Float stem, then three binary convs and one binary fc."""
    w = width
    layers = [InputNorm(FMNIST_MEAN, FMNIST_STD),
              nn.Conv2d(1, w, 3, padding=1, bias=False), nn.BatchNorm2d(w),
              nn.ReLU(inplace=True), nn.MaxPool2d(2)]                              # 14x14
    layers += conv_block(kind, w, 2 * w, 3, 1, 1, (2, 2), input_scale)              # 7x7
    layers += conv_block(kind, 2 * w, 4 * w, 3, 1, 1, None, input_scale)
    layers += conv_block(kind, 4 * w, 4 * w, 3, 1, 1, (2, 2), input_scale)          # 3x3
    layers += [nn.Flatten()]
    layers += fc_block(kind, 4 * w * 9, 8 * w, input_scale)
    layers += _head(kind, 8 * w, classes)
    return nn.Sequential(*layers)


class BiRealUnit(nn.Module):
    """x + BN(BinConv(BinActive(BN(x)))): a real-valued shortcut around every binary
    3x3 conv (Bi-Real Net) carries what 1-bit activations lose. The first BN acts as a
    learnable per-channel threshold for the sign. A downsampling unit's shortcut is
    AvgPool(2) -> float 1x1 conv -> BN."""

    def __init__(self, cin, cout, stride=1, input_scale=False):
        super().__init__()
        self.bn_in = nn.BatchNorm2d(cin)
        self.conv = XNORConv2d(cin, cout, 3, stride, 1, input_scale=input_scale,
                               act_grad="approx")
        self.bn_out = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            # count_include_pad=False: no padding here, and it keeps a Pad node out of the ONNX.
            pool = [nn.AvgPool2d(2, count_include_pad=False)] if stride == 2 else []
            self.shortcut = nn.Sequential(*pool, nn.Conv2d(cin, cout, 1, bias=False),
                                          nn.BatchNorm2d(cout))

    def forward(self, x):
        s = x if self.shortcut is None else self.shortcut(x)
        return self.bn_out(self.conv(self.bn_in(x))) + s


class XNORBasicBlock(nn.Sequential):
    def __init__(self, cin, cout, stride=1, input_scale=False):
        super().__init__(BiRealUnit(cin, cout, stride, input_scale),
                         BiRealUnit(cout, cout, 1, input_scale))


class BasicBlock(nn.Module):
    """The standard ResNet block; convs are BWN or float, the 1x1 projection is float."""

    def __init__(self, cin, cout, stride=1, kind="bwn"):
        super().__init__()
        conv = BWNConv2d if kind == "bwn" else nn.Conv2d
        self.conv1 = conv(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = conv(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                          nn.BatchNorm2d(cout))

    def forward(self, x):
        s = x if self.shortcut is None else self.shortcut(x)
        y = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(y)) + s)


class ResNet(nn.Module):
    def __init__(self, kind, stem, stem_out, classes, widths=(64, 128, 256, 512),
                 blocks=(2, 2, 2, 2), input_scale=False):
        super().__init__()
        _check_kind(kind)
        self.stem = stem
        stages, cin = [], stem_out
        for i, (w, n) in enumerate(zip(widths, blocks)):
            for j in range(n):
                stride = 2 if (i > 0 and j == 0) else 1
                if kind == "xnor":
                    stages.append(XNORBasicBlock(cin, w, stride, input_scale))
                else:
                    stages.append(BasicBlock(cin, w, stride, kind))
                cin = w
        self.stages = nn.Sequential(*stages)
        tail = [nn.BatchNorm2d(cin), nn.ReLU(inplace=True)] if kind == "xnor" else []
        self.head = nn.Sequential(*tail, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(cin, classes))

    def forward(self, x):
        return self.head(self.stages(self.stem(x)))


def cifar_net(kind="xnor", classes=10, width=64):
    """32x32 colour, ResNet-18 layout: float 3x3 stem, 16 binary 3x3 convs, float fc."""
    stem = nn.Sequential(InputNorm(CIFAR_MEAN, CIFAR_STD),
                         nn.Conv2d(3, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width),
                         nn.ReLU(inplace=True))
    return ResNet(kind, stem, width, classes, tuple(width * m for m in (1, 2, 4, 8)))


# --- plain nets: exact parity across float engines -------------------------------
# No float residual stream, no K map and no InputNorm: every value that reaches a sign is
# either a lattice value (a binary conv's alpha·dot, or a stem conv on integer pixels with
# quantised weights, see exact.py) or a max of such values, so exact.export_form can put
# every sign threshold half a lattice step away from any value the layer can produce.
# Their input is pixel / 255 with zero padding (black), which export_form folds into the
# stem so the exported graph takes raw pixels 0..255.

def plain_stem(cin, w, pool=None):
    layers = [nn.Conv2d(cin, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True)]
    return layers + ([nn.MaxPool2d(*pool)] if pool else [])


def fmnist_plain(kind="xnor", classes=10, width=32):
    """28x28 grey: fmnist_net without InputNorm and K."""
    w = width
    layers = plain_stem(1, w, (2, 2))                                             # 14x14
    layers += conv_block(kind, w, 2 * w, 3, 1, 1, (2, 2))                          # 7x7
    layers += conv_block(kind, 2 * w, 4 * w, 3, 1, 1)
    layers += conv_block(kind, 4 * w, 4 * w, 3, 1, 1, (2, 2))                      # 3x3
    layers += [nn.Flatten()] + fc_block(kind, 4 * w * 9, 8 * w) + _head(kind, 8 * w, classes)
    return nn.Sequential(*layers)


def cifar_plain(kind="xnor", classes=10, width=128):
    """32x32 colour, the VGG-small layout of BinaryConnect/BinaryNet (the CIFAR-10 net of
    the XNOR-Net paper's comparison): float stem, five binary 3x3 convs, one binary fc."""
    w = width
    layers = plain_stem(3, w)
    layers += conv_block(kind, w, w, 3, 1, 1, (2, 2))                              # 16x16
    layers += conv_block(kind, w, 2 * w, 3, 1, 1)
    layers += conv_block(kind, 2 * w, 2 * w, 3, 1, 1, (2, 2))                      # 8x8
    layers += conv_block(kind, 2 * w, 4 * w, 3, 1, 1)
    layers += conv_block(kind, 4 * w, 4 * w, 3, 1, 1, (2, 2))                      # 4x4
    layers += [nn.Flatten()] + fc_block(kind, 4 * w * 16, 8 * w) + _head(kind, 8 * w, classes)
    return nn.Sequential(*layers)


# --- ImageNet (224x224, 1000 classes) ----------------------------------------------

def _imagenet_stem():
    return nn.Sequential(InputNorm(IMAGENET_MEAN, IMAGENET_STD),
                         nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64),
                         nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))


def resnet18(kind, classes=1000, input_scale=False):
    return ResNet(kind, _imagenet_stem(), 64, classes, input_scale=input_scale)


def alexnet(kind, classes=1000, input_scale=True):
    """The XNOR-Net paper's AlexNet (with BN): float conv1 and fc8, binary conv2-5, fc6-7."""
    layers = [InputNorm(IMAGENET_MEAN, IMAGENET_STD),
              nn.Conv2d(3, 96, 11, 4, 2, bias=False), nn.BatchNorm2d(96),
              nn.ReLU(inplace=True), nn.MaxPool2d(3, 2)]                           # 27x27
    layers += conv_block(kind, 96, 256, 5, 1, 2, (3, 2), input_scale)               # 13x13
    layers += conv_block(kind, 256, 384, 3, 1, 1, None, input_scale)
    layers += conv_block(kind, 384, 384, 3, 1, 1, None, input_scale)
    layers += conv_block(kind, 384, 256, 3, 1, 1, (3, 2), input_scale)              # 6x6
    layers += [nn.Flatten()]
    layers += fc_block(kind, 256 * 36, 4096, input_scale)
    layers += fc_block(kind, 4096, 4096, input_scale)
    layers += _head(kind, 4096, classes)
    return nn.Sequential(*layers)


def alexnet_xnor(**kw): return alexnet("xnor", **kw)
def alexnet_bwn(**kw): return alexnet("bwn", **kw)
def resnet18_xnor(**kw): return resnet18("xnor", **kw)
def resnet18_bwn(**kw): return resnet18("bwn", **kw)
def fmnist_xnor(**kw): return fmnist_net("xnor", **kw)
def fmnist_bwn(**kw): return fmnist_net("bwn", **kw)
def fmnist_float(**kw): return fmnist_net("float", **kw)
def cifar10_xnor(**kw): return cifar_net("xnor", **kw)
def cifar10_bwn(**kw): return cifar_net("bwn", **kw)
def cifar10_float(**kw): return cifar_net("float", **kw)
def fmnist_xnor_plain(**kw): return fmnist_plain("xnor", **kw)
def cifar10_xnor_plain(**kw): return cifar_plain("xnor", **kw)

ARCHS = {f.__name__: f for f in (
    alexnet_xnor, alexnet_bwn, resnet18_xnor, resnet18_bwn, fmnist_xnor, fmnist_bwn,
    fmnist_float, cifar10_xnor, cifar10_bwn, cifar10_float, fmnist_xnor_plain, cifar10_xnor_plain)}

# Shape of one input sample per architecture family, for export and tests.
INPUT_SHAPES = {"alexnet": (3, 224, 224), "resnet18": (3, 224, 224),
                "fmnist": (1, 28, 28), "cifar10": (3, 32, 32)}


def build(arch, **kw):
    if arch not in ARCHS:
        raise ValueError(f"unknown arch {arch!r}; one of {sorted(ARCHS)}")
    return ARCHS[arch](**kw)


def input_shape(arch):
    return INPUT_SHAPES[arch.split("_")[0]]
