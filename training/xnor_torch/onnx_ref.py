"""A plain numpy evaluator for exactly the ONNX ops our exports use: the reference
semantics behind ONNX_PATTERNS.md, and a parity check where onnxruntime is absent."""
import numpy as np

OPS = ("Abs", "Add", "AveragePool", "BatchNormalization", "Conv", "Flatten", "Gemm",
       "GlobalAveragePool", "GreaterOrEqual", "MaxPool", "Mul", "ReduceMean", "Relu",
       "Where")


def _attrs(node):
    from onnx import helper
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _windows(x, kernel, strides, pads, fill):
    """[N,C,H,W] -> [N,C,Ho,Wo,kh,kw] views after padding with `fill`."""
    t, l, b, r = pads
    x = np.pad(x, ((0, 0), (0, 0), (t, b), (l, r)), constant_values=fill)
    v = np.lib.stride_tricks.sliding_window_view(x, tuple(kernel), axis=(2, 3))
    return v[:, :, ::strides[0], ::strides[1]]


def _pool_pads(at):
    return list(at.get("pads", [0, 0, 0, 0]))  # ONNX order: top, left, bottom, right


def run(model, x):
    """Evaluate an onnx.ModelProto on one input array; returns the first output."""
    from onnx import numpy_helper
    env = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    env[model.graph.input[0].name] = x
    for node in model.graph.node:
        at = _attrs(node)
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            if at.get("group", 1) != 1 or any(d != 1 for d in at.get("dilations", [1, 1])):
                raise NotImplementedError("grouped or dilated Conv")
            w = ins[1]
            win = _windows(ins[0], w.shape[2:], at.get("strides", [1, 1]), _pool_pads(at), 0)
            y = np.einsum("nchwij,ocij->nohw", win, w, optimize=True)
            if len(ins) > 2 and ins[2] is not None:
                y = y + ins[2].reshape(1, -1, 1, 1)
        elif op == "BatchNormalization":
            xin, s, b, m, v = ins
            shp = (1, -1) + (1,) * (xin.ndim - 2)
            y = (xin - m.reshape(shp)) / np.sqrt(v.reshape(shp) + at.get("epsilon", 1e-5))
            y = y * s.reshape(shp) + b.reshape(shp)
        elif op == "MaxPool":
            if at.get("ceil_mode", 0):
                raise NotImplementedError("ceil_mode")
            y = _windows(ins[0], at["kernel_shape"], at.get("strides", [1, 1]),
                         _pool_pads(at), -np.inf).max(axis=(4, 5))
        elif op == "AveragePool":
            if any(_pool_pads(at)) or at.get("ceil_mode", 0):
                raise NotImplementedError("padded AveragePool")
            y = _windows(ins[0], at["kernel_shape"], at.get("strides", [1, 1]),
                         [0, 0, 0, 0], 0).mean(axis=(4, 5))
        elif op == "GlobalAveragePool":
            y = ins[0].mean(axis=(2, 3), keepdims=True)
        elif op == "Flatten":
            ax = at.get("axis", 1)
            y = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif op == "Gemm":
            a = ins[0].T if at.get("transA", 0) else ins[0]
            b = ins[1].T if at.get("transB", 0) else ins[1]
            y = at.get("alpha", 1.0) * a @ b
            if len(ins) > 2 and ins[2] is not None:
                y = y + at.get("beta", 1.0) * ins[2]
        elif op == "ReduceMean":
            y = ins[0].mean(axis=tuple(at["axes"]), keepdims=bool(at.get("keepdims", 1)))
        elif op == "Where":
            y = np.where(ins[0], ins[1], ins[2])
        elif op == "GreaterOrEqual":
            y = ins[0] >= ins[1]
        elif op == "Relu":
            y = np.maximum(ins[0], 0)
        elif op == "Abs":
            y = np.abs(ins[0])
        elif op == "Add":
            y = ins[0] + ins[1]
        elif op == "Mul":
            y = ins[0] * ins[1]
        else:
            raise NotImplementedError(op)
        env[node.output[0]] = y.astype(np.float32) if y.dtype.kind == "f" else y
    return env[model.graph.output[0].name]
