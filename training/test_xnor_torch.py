"""Checks of the layers, compact checkpoints and ONNX export.
Run: PYTHONPATH=training /usr/bin/python3 -m unittest training/test_xnor_torch.py"""
import copy
import os
import sys
import tempfile
import unittest

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xnor_torch as xt  # noqa: E402
from xnor_torch.binary import binary_layers, weight_alpha  # noqa: E402

try:
    import onnx
    from onnx import numpy_helper
    from xnor_torch import onnx_ref
except ImportError:
    onnx = None

COMPACT = ("fmnist_xnor", "fmnist_bwn", "fmnist_float", "cifar10_xnor", "cifar10_bwn",
           "fmnist_xnor_plain", "cifar10_xnor_plain")


def trained_a_little(arch, steps=2, batch=8, **kw):
    """Random init plus a few Adam steps, so BN statistics and weights are not at init."""
    torch.manual_seed(0)
    m = xt.build(arch, **kw)
    opt = torch.optim.Adam(m.parameters(), 1e-2)
    for _ in range(steps):
        x = torch.rand(batch, *xt.input_shape(arch))
        loss = F.cross_entropy(m(x), torch.randint(0, 10, (batch,)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return m.eval()


class Layers(unittest.TestCase):
    def test_sign_of_zero_is_plus_one(self):
        x = torch.tensor([-2.0, -0.0, 0.0, 1e-30, 3.0])
        self.assertEqual(xt.sign(x).tolist(), [-1, 1, 1, 1, 1])
        self.assertEqual(xt.BinActive()(x).tolist(), [-1, 1, 1, 1, 1])

    def test_binactive_gradients(self):
        x = torch.tensor([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5], requires_grad=True)
        xt.BinActive("ste")(x).sum().backward()
        self.assertEqual(x.grad.tolist(), [0, 1, 1, 1, 1, 1, 0])
        x.grad = None
        xt.BinActive("approx")(x).sum().backward()
        self.assertEqual(x.grad.tolist(), [0, 0, 1, 2, 1, 0, 0])

    def test_xnor_conv_is_the_papers_formula(self):
        torch.manual_seed(1)
        conv = xt.XNORConv2d(5, 7, 3, stride=2, padding=1, input_scale=True)
        x = torch.randn(2, 5, 9, 9)
        w = conv.weight.detach()
        alpha = w.abs().mean(dim=(1, 2, 3)).view(-1, 1, 1, 1)
        sx = torch.where(x >= 0, 1.0, -1.0)
        sw = torch.where(w >= 0, 1.0, -1.0)
        k = F.avg_pool2d(x.abs().mean(1, keepdim=True), 3, 2, 1, count_include_pad=True)
        want = F.conv2d(sx, sw, None, 2, 1) * alpha.view(1, -1, 1, 1) * k
        self.assertTrue(torch.allclose(conv(x), want, rtol=1e-5, atol=1e-5))

    def test_binary_linear_weights(self):
        lin = xt.XNORLinear(6, 4, input_scale=True)
        x = torch.randn(3, 6)
        w = lin.weight.detach()
        want = (torch.where(x >= 0, 1.0, -1.0) @ torch.where(w >= 0, 1.0, -1.0).T
                * weight_alpha(w) * x.abs().mean(1, keepdim=True))
        self.assertTrue(torch.allclose(lin(x), want, rtol=1e-5, atol=1e-6))

    def test_freeze_keeps_forward_bit_identical(self):
        m = trained_a_little("fmnist_xnor", width=8)
        x = torch.rand(4, 1, 28, 28)
        with torch.no_grad():
            before = m(x)
            xt.freeze_binary(m)
            self.assertTrue(torch.equal(before, m(x)))
        for _, layer in binary_layers(m):
            w = layer.weight.detach().flatten(1).abs()
            self.assertTrue(torch.equal(w, w[:, :1].expand_as(w)))

    def test_imagenet_architectures(self):
        torch.manual_seed(0)
        x = torch.rand(1, 3, 224, 224)
        for arch in ("alexnet_xnor", "alexnet_bwn", "resnet18_xnor", "resnet18_bwn"):
            m = xt.build(arch).eval()
            with torch.no_grad():
                self.assertEqual(tuple(m(x).shape), (1, 1000), arch)


class Compact(unittest.TestCase):
    def test_roundtrip_is_exact(self):
        for arch in COMPACT:
            kw = {"width": 16} if arch.startswith("fmnist") else {}
            m = trained_a_little(arch, **kw)
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, arch + ".ckpt")
                xt.save_compact(m, path, {"arch": arch, "kwargs": kw})
                size = os.path.getsize(path)
                r = xt.load_compact(path)
            x = torch.rand(5, *xt.input_shape(arch))
            with torch.no_grad():
                self.assertTrue(torch.equal(m(x), r(x)), arch)
            with tempfile.TemporaryDirectory() as d:  # again, from the frozen reload
                path = os.path.join(d, arch + ".ckpt")
                xt.save_compact(r, path, {"arch": arch, "kwargs": kw})
                r2 = xt.load_compact(path)
            with torch.no_grad():
                self.assertTrue(torch.equal(m(x), r2(x)), arch)
            if arch.startswith("cifar10"):  # 11M binary weights
                self.assertLess(size, 3e6, arch)


@unittest.skipIf(onnx is None, "python3-onnx not installed")
class Onnx(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.models = {}
        for arch, kw in (("fmnist_xnor", {"width": 16}), ("fmnist_bwn", {"width": 16}),
                         ("cifar10_xnor", {})):
            m = trained_a_little(arch, **kw)
            path = os.path.join(cls.dir.name, arch + ".onnx")
            xt.export_onnx(m, torch.zeros(1, *xt.input_shape(arch)), path)
            cls.models[arch] = (m, onnx.load(path))

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def test_documented_patterns(self):
        for arch, (m, proto) in self.models.items():
            g = proto.graph
            self.assertEqual([o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")],
                             [13])
            self.assertLessEqual({n.op_type for n in g.node}, set(onnx_ref.OPS), arch)
            inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
            producer = {o: n for n in g.node for o in n.output}
            signs = set()
            for n in g.node:
                if n.op_type == "Where":
                    ge = producer[n.input[0]]
                    self.assertEqual(ge.op_type, "GreaterOrEqual")
                    self.assertEqual(float(inits[ge.input[1]]), 0.0)
                    self.assertEqual((float(inits[n.input[1]]), float(inits[n.input[2]])),
                                     (1.0, -1.0))
                    signs.add(n.output[0])
            binary = 0
            for n in g.node:
                if n.op_type not in ("Conv", "Gemm"):
                    continue
                if producer[n.input[0]].op_type == "ReduceMean":  # the K map's box filter
                    self.assertEqual(len(np.unique(inits[n.input[1]])), 1)
                    continue
                w = inits[n.input[1]]
                mags = [np.unique(np.abs(w[o])) for o in range(w.shape[0])]
                if all(len(v) == 1 for v in mags):
                    binary += 1
                if n.input[0] in signs:  # an XNOR layer: its weights must be binary too
                    self.assertTrue(all(len(v) == 1 for v in mags), n.name)
            table = xt.export.binary_layer_table(m)
            self.assertEqual(binary, len(table), arch)
            self.assertEqual(len(signs), sum(r["kind"] == "xnor" for r in table), arch)

    def test_numpy_reference_matches_torch(self):
        torch.manual_seed(3)
        for arch, (m, proto) in self.models.items():
            x = torch.rand(3, *xt.input_shape(arch))
            with torch.no_grad():
                want = m(x).numpy()
            got = onnx_ref.run(proto, x.numpy())
            self.assertTrue(np.allclose(got, want, rtol=1e-3, atol=1e-3),
                            f"{arch}: max diff {np.abs(got - want).max()}")

    def test_onnxruntime_matches_torch(self):
        try:
            import onnxruntime
        except ImportError:
            self.skipTest("onnxruntime not installed")
        for arch, (m, proto) in self.models.items():
            sess = onnxruntime.InferenceSession(proto.SerializeToString())
            x = torch.rand(2, *xt.input_shape(arch))
            with torch.no_grad():
                want = m(x).numpy()
            got = sess.run(None, {"input": x.numpy()})[0]
            self.assertTrue(np.allclose(got, want, rtol=1e-3, atol=1e-3), arch)


class ExactForm(unittest.TestCase):
    """exact.export_form: what the exact-parity claim rests on, checked on real activations."""

    def pre_signs(self, model, x):
        """(BN, BN input, BN output) at every BatchNorm that feeds a sign."""
        out, h, layers = [], x, list(model)
        for i, mod in enumerate(layers):
            if isinstance(mod, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)) and i + 1 < len(layers) \
                    and isinstance(layers[i + 1], (xt.XNORConv2d, xt.XNORLinear)):
                out.append((mod, h, mod(h)))
            h = mod(h)
        return out

    def test_signs_do_not_depend_on_float_rounding(self):
        from xnor_torch.exact import export_form
        for arch in ("fmnist_xnor_plain", "cifar10_xnor_plain"):
            m = trained_a_little(arch, steps=3)
            e = export_form(m)
            torch.manual_seed(5)
            x = torch.randint(0, 256, (4, *xt.input_shape(arch))).float()
            with torch.no_grad():
                # The stem is exact: float32 equals float64 on integer pixels and grid weights.
                exact = F.conv2d(x.double(), e[0].weight.double(), e[0].bias.double(), padding=1)
                self.assertTrue(torch.equal(e[0](x).double(), exact), arch)
                # Every value reaching a sign is farther from its threshold than 2^-21 of its
                # magnitude, so no engine's rounding (a few ulp = 2^-23 each) can flip it.
                sites = self.pre_signs(e, x)
                self.assertEqual(len(sites), sum(isinstance(l, (xt.XNORConv2d, xt.XNORLinear)) for l in e))
                for bn, inp, _ in sites:
                    shape = (1, -1) + (1,) * (inp.dim() - 2)
                    t = bn.running_mean.double().view(shape).expand_as(inp)
                    gap = (inp.double() - t).abs()
                    size = torch.maximum(inp.double().abs(), t.abs())
                    self.assertTrue(bool((gap >= size * 2 ** -21).all()),
                                    f"{arch}: min gap {float((gap / size.clamp(min=1e-30)).min()):.3g}")
                # So a float64 evaluation gives the same logits' argmax and every sign.
                e64 = copy.deepcopy(e).double()
                s32 = [xt.binary.sign(y) for _, _, y in sites]
                s64 = [xt.binary.sign(y) for _, _, y in self.pre_signs(e64, x.double())]
                for i, (p, q) in enumerate(zip(s32, s64)):
                    self.assertTrue(torch.equal(p.double(), q), f"{arch}: sign site {i}")

    def test_nets_without_a_lattice_have_no_exact_form(self):
        from xnor_torch.exact import NotExactError, export_form
        for arch in ("cifar10_xnor", "fmnist_xnor"):  # float residuals; the K map
            with self.assertRaises(NotExactError, msg=arch):
                export_form(trained_a_little(arch, steps=1))


if __name__ == "__main__":
    unittest.main()
