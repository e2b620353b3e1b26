"""Export form with exact parity across float engines (the `plain` nets of models.py).

Two float runtimes (torch, onnxruntime, our WASM kernels) sum in different orders, so a
value that reaches a sign within rounding of its threshold can come out +1 in one and -1
in the other; in a binary net one such bit can move the logits by far more than 1e-3.
`export_form` rewrites a frozen plain net, without retraining, so that cannot happen:

1. The graph takes raw pixels 0..255 (the trained net takes pixel / 255): 1/255 and the
   stem's BatchNorm are folded into the stem conv, whose weights and bias are then rounded
   to a power-of-two grid g per output channel with WEIGHT_BITS bits. Integer pixels times
   grid weights, summed over a 3x3 window, stay far below 2^24 grid steps, so every engine
   computes the stem exactly, in any order: its outputs lie on the lattice g·Z.
2. ReLU and max-pool keep a lattice; a binary conv or fc produces alpha·dot with an
   integer dot, the lattice alpha·Z per output channel.
3. Each BatchNorm that feeds a sign is moved so its threshold t lies half a lattice step
   from the nearest value the layer can produce: for lattice inputs the sign is unchanged,
   and an engine's rounding (a few ulp of the largest value) stays far inside the half-step
   margin. The margin is checked (`MAX_STEPS`), not assumed.

Only the stem quantisation changes the function; export_ckpt.py reports the accuracy of
this form, which is what ships.
"""
import copy
import math

import torch
import torch.nn as nn

from .binary import XNORConv2d, XNORLinear, freeze_binary

WEIGHT_BITS = 8
# Near a threshold t an engine's BN rounds at most ~2 ulp(|t|·scale); at |t| <= 2^20 steps
# that is 1/8 of a step, 4x inside the half-step margin.
MAX_STEPS = 2 ** 20


class NotExactError(ValueError):
    pass


def _bn_scale(bn):
    return bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)


def _fold_stem(conv, bn, input_range):
    """conv(x / input_range) -> bn, as one conv on raw x with grid weights; returns the conv,
    its lattice step per channel and the largest |output| per channel in steps."""
    s = _bn_scale(bn)
    w = conv.weight.double() * s.view(-1, 1, 1, 1) / input_range
    b = bn.bias.double() - bn.running_mean.double() * s
    if conv.bias is not None:
        b = b + conv.bias.double() * s
    peak = w.abs().flatten(1).max(1).values.clamp(min=1e-30)
    exp = torch.floor(torch.log2((2 ** (WEIGHT_BITS - 1) - 1) / peak))
    step = torch.pow(2.0, -exp)
    wq = torch.round(w / step.view(-1, 1, 1, 1)) * step.view(-1, 1, 1, 1)
    bq = torch.round(b / step) * step
    out = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                    conv.padding, conv.dilation, conv.groups, bias=True)
    with torch.no_grad():
        out.weight.copy_(wq.float())
        out.bias.copy_(bq.float())
    # Exactness: integer pixels (< 256) times weights of WEIGHT_BITS bits, summed over the
    # window, plus the bias, must stay below 2^24 grid steps.
    taps = conv.in_channels // conv.groups * math.prod(conv.kernel_size)
    reach = 255 * (wq / step.view(-1, 1, 1, 1)).abs().flatten(1).sum(1) + (bq / step).abs()
    if reach.max().item() >= 2 ** 24:
        raise NotExactError(f"stem: sums reach {reach.max().item():.0f} grid steps, beyond exact f32 (2^24)")
    return out, step, reach


def _snap_threshold(bn, step, reach, name):
    """Moves bn's sign threshold half a lattice step off the lattice step·Z (per channel).
    reach: the largest |input| in steps; a threshold beyond it decides nothing."""
    s = _bn_scale(bn)
    t = bn.running_mean.double() - bn.bias.double() / torch.where(s == 0, torch.ones_like(s), s)
    step = step.double().expand_as(t)
    k = t / step
    near = torch.minimum(k.abs(), reach.double().expand_as(k)).masked_fill(s == 0, 0)
    if (near > MAX_STEPS).any():
        worst = int(near.argmax())
        raise NotExactError(f"{name}: channel {worst} threshold is {float(k[worst]):.3g} lattice steps "
                            f"from 0, beyond the exact-parity margin ({MAX_STEPS})")
    snapped = torch.where(s > 0, (torch.ceil(k) - 0.5) * step, (torch.floor(k) + 0.5) * step)
    with torch.no_grad():
        keep = s == 0  # constant sign(beta): leave as trained
        bn.running_mean.copy_(torch.where(keep, bn.running_mean.double(), snapped).float())
        bn.bias.copy_(torch.where(keep, bn.bias.double(), torch.zeros_like(t)).float())


def _alpha(layer):
    return layer.weight.detach().abs().flatten(1)[:, 0]


def export_form(model, input_range=255.0):
    """An eval-mode copy of a plain net (nn.Sequential) with exact cross-engine parity;
    its input is pixels in [0, input_range]. Raises NotExactError for anything else."""
    if not isinstance(model, nn.Sequential):
        raise NotExactError(f"{type(model).__name__}: only nn.Sequential plain nets have an exact form")
    layers = list(freeze_binary(copy.deepcopy(model).cpu().float().eval()))
    step = reach = None  # per channel: the activation's lattice step and max |value| in steps
    pending_flatten = False
    out = []
    i = 0
    while i < len(layers):
        m, nxt = layers[i], layers[i + 1] if i + 1 < len(layers) else None
        name = f"layer {i} ({type(m).__name__})"
        if i == 0:
            if not (isinstance(m, nn.Conv2d) and isinstance(nxt, nn.BatchNorm2d)):
                raise NotExactError("a plain net starts with a float Conv2d and its BatchNorm2d")
            conv, step, reach = _fold_stem(m, nxt, input_range)
            out.append(conv)
            i += 2
            continue
        if isinstance(m, (nn.ReLU, nn.MaxPool2d)):
            pass
        elif isinstance(m, nn.Flatten):
            pending_flatten = step is not None
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)) and isinstance(nxt, (XNORConv2d, XNORLinear)):
            if step is None:
                raise NotExactError(f"{name}: the value before this sign is not on a known lattice")
            if pending_flatten:  # NCHW flatten: feature c·HW + p has channel c's step
                step = step.repeat_interleave(m.num_features // step.numel())
                reach = reach.repeat_interleave(m.num_features // reach.numel())
                pending_flatten = False
            _snap_threshold(m, step, reach, name)
        elif isinstance(m, (XNORConv2d, XNORLinear)):
            if getattr(m, "input_scale", False) or m.bias is not None:
                raise NotExactError(f"{name}: a K map or bias puts the output off the alpha lattice")
            step = _alpha(m)
            reach = torch.full_like(step, m.weight[0].numel())
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.Linear)) and not isinstance(nxt, (XNORConv2d, XNORLinear)):
            step = reach = None  # the float head: no sign follows
        else:
            raise NotExactError(f"{name}: not supported in an exact-parity plain net")
        out.append(m)
        i += 1
    return nn.Sequential(*out).eval()
