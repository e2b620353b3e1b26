"""Binary layers of XNOR-Net / BWN (Rastegari et al., 2016).

Every binary layer has two forward modes that give bit-identical results:
training mode derives alpha·sign(W) from the latent float weight on each call, and
`prebinarized` mode uses `weight` as is because it already holds alpha·sign(W)
(set by `freeze_binary`, used for ONNX export and compact checkpoints).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def sign(x):
    # torch.sign(0) == 0, but a 1-bit code has no zero: XNOR-Net and BMXNet map 0 to +1.
    return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))


def weight_alpha(w):
    """alpha per output filter = mean |W| over everything but dim 0, shape [O]."""
    return w.abs().mean(dim=tuple(range(1, w.dim())))


class _SignActivation(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, approx):
        ctx.save_for_backward(x)
        ctx.approx = approx
        return sign(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if ctx.approx:
            # Bi-Real's ApproxSign derivative: a triangle instead of a box, closer to sign.
            return g * (2 - 2 * x.abs()).clamp_(min=0), None
        # The paper's straight-through estimator: identity, cancelled where |x| > 1.
        return g * (x.abs() <= 1).to(g.dtype), None

    @staticmethod
    def symbolic(g, x, approx):
        # One fixed pattern the TypeScript converter matches; see ONNX_PATTERNS.md.
        zero = g.op("Constant", value_t=torch.tensor(0.0))
        one = g.op("Constant", value_t=torch.tensor(1.0))
        minus_one = g.op("Constant", value_t=torch.tensor(-1.0))
        return g.op("Where", g.op("GreaterOrEqual", x, zero), one, minus_one)


class _SignWeight(torch.autograd.Function):
    # Identity gradient for latent weights: with Adam and no weight decay they stay
    # small anyway, and clipping would freeze weights that drift past 1.
    @staticmethod
    def forward(ctx, w):
        return sign(w)

    @staticmethod
    def backward(ctx, g):
        return g


class BinActive(nn.Module):
    """sign(x) (+1 for x >= 0, else -1) with a straight-through gradient.

    grad="ste": 1{|x| <= 1} (XNOR-Net); grad="approx": max(0, 2 - 2|x|) (Bi-Real)."""

    def __init__(self, grad="ste"):
        super().__init__()
        if grad not in ("ste", "approx"):
            raise ValueError(f"grad must be 'ste' or 'approx', not {grad!r}")
        self.grad = grad

    def forward(self, x):
        return _SignActivation.apply(x, self.grad == "approx")

    def extra_repr(self):
        return f"grad={self.grad}"


class _BinaryWeightMixin:
    prebinarized = False

    def binary_weight(self):
        if self.prebinarized:
            return self.weight
        alpha = weight_alpha(self.weight).view(-1, *([1] * (self.weight.dim() - 1)))
        return _SignWeight.apply(self.weight) * alpha

    @torch.no_grad()
    def freeze(self):
        """Replace the latent weight by alpha·sign(W); the forward is unchanged."""
        if not self.prebinarized:
            self.weight.copy_(self.binary_weight())
            self.prebinarized = True


class BWNConv2d(_BinaryWeightMixin, nn.Conv2d):
    """Conv with weights alpha·sign(W) (alpha per output filter) and float input."""

    def __init__(self, in_ch, out_ch, kernel_size, stride=1, padding=0, bias=False):
        super().__init__(in_ch, out_ch, kernel_size, stride, padding, bias=bias)

    def forward(self, x):
        return F.conv2d(x, self.binary_weight(), self.bias, self.stride, self.padding)


class XNORConv2d(_BinaryWeightMixin, nn.Conv2d):
    """BinActive on the input, then a conv with weights alpha·sign(W).

    Zero padding is applied to the binarized input, so padded taps contribute 0.
    input_scale=True multiplies the output by the paper's K map: the channel mean of
    |input| box-filtered with this conv's kernel size, stride and zero padding."""

    def __init__(self, in_ch, out_ch, kernel_size, stride=1, padding=0, bias=False,
                 input_scale=False, act_grad="ste"):
        super().__init__(in_ch, out_ch, kernel_size, stride, padding, bias=bias)
        self.act = BinActive(act_grad)
        self.input_scale = input_scale
        if input_scale:
            kh, kw = self.kernel_size
            box = torch.full((1, 1, kh, kw), 1.0 / (kh * kw))
            self.register_buffer("box", box, persistent=False)

    def forward(self, x):
        xb = self.act(x)
        if not self.input_scale:
            return F.conv2d(xb, self.binary_weight(), self.bias, self.stride, self.padding)
        y = F.conv2d(xb, self.binary_weight(), None, self.stride, self.padding)
        k = F.conv2d(x.abs().mean(dim=1, keepdim=True), self.box.to(x.dtype), None,
                     self.stride, self.padding)
        y = y * k
        return y if self.bias is None else y + self.bias.view(1, -1, 1, 1)

    def extra_repr(self):
        return super().extra_repr() + f", input_scale={self.input_scale}"


def _linear(x, w, b):
    # Always pass a bias so ONNX export emits Gemm(transB=1) rather than MatMul with a
    # transposed weight; one pattern for the converter to match.
    if b is None:
        b = torch.zeros(w.shape[0], dtype=x.dtype, device=x.device)
    return F.linear(x, w, b)


class BWNLinear(_BinaryWeightMixin, nn.Linear):
    """Fully connected layer with weights alpha·sign(W) (alpha per output) and float input."""

    def __init__(self, in_features, out_features, bias=False):
        super().__init__(in_features, out_features, bias=bias)

    def forward(self, x):
        return _linear(x, self.binary_weight(), self.bias)


class XNORLinear(_BinaryWeightMixin, nn.Linear):
    """BinActive on the input, then alpha·sign(W). input_scale=True multiplies each
    sample's output by mean |input| over its features (K of a fully connected layer)."""

    def __init__(self, in_features, out_features, bias=False, input_scale=False,
                 act_grad="ste"):
        super().__init__(in_features, out_features, bias=bias)
        self.act = BinActive(act_grad)
        self.input_scale = input_scale

    def forward(self, x):
        if not self.input_scale:
            return _linear(self.act(x), self.binary_weight(), self.bias)
        y = _linear(self.act(x), self.binary_weight(), None)
        y = y * x.abs().mean(dim=1, keepdim=True)
        return y if self.bias is None else y + self.bias

    def extra_repr(self):
        return super().extra_repr() + f", input_scale={self.input_scale}"


BINARY_LAYERS = (BWNConv2d, XNORConv2d, BWNLinear, XNORLinear)


def binary_layers(model):
    return [(n, m) for n, m in model.named_modules() if isinstance(m, BINARY_LAYERS)]


def freeze_binary(model):
    """Turn every binary layer's weight into alpha·sign(W) in place."""
    for _, m in binary_layers(model):
        m.freeze()
    return model
