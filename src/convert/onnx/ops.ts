// ONNX op → .xnn ops (src/ops/spec.ts): one handler per ONNX op, each returning what its
// output is (graph.ts: Sym); the pattern table is above HANDLERS.


import type { OpName } from '../../ops/spec.js';
import type { Sym, Val } from './graph.js';
import { NodeCtx } from './node.js';
import { greaterOrEqual, ND_HANDLERS, reduceMean, reshapeTo, where } from './ops-nd.js';
import { oneD, avgPool, maxPool } from './ops-pool.js';
import { spatial } from './window.js';
import { onnxDims, size as sizeOf } from './layout.js';
import { reshapeDims } from './fold-const.js';
import { conv, gemm, matmul } from './ops-layers.js';
import { allEqual, arith, batchNorm } from './ops-affine.js';

type Handler = (c: NodeCtx) => Sym;
const val = (v: Val): Sym => ({ k: 'val', v });

function unary(op: OpName): Handler {
  return (c) => {
    c.only();
    const v = c.f32(0);
    return val({ ...c.b.node(c.where, op, c.name, [v.name]).val, nchw: v.nchw });
  };
}

function flatten(c: NodeCtx, s: Sym): Sym {
  if (s.k === 'sign') {
    const f = flatten(c, { k: 'val', v: s.x });
    return f.k === 'val' ? { k: 'sign', x: f.v, onnx: s.onnx } : f;
  }
  const v = s.k === 'val' ? s.v : c.val(0);
  if (v.type.shape.length === 2) return val(v);
  if (v.type.shape.length !== 4) return reshapeTo(c, v, [v.type.shape[0], sizeOf(v.type.shape.slice(1))]);
  const [, h, w, ch] = spatial(c, v);
  const r = c.b.node(c.where, 'Flatten', c.name, [v.name]).val;
  return val(h * w > 1 ? { ...r, nchw: [ch, h, w] } : r);
}

function reshape(c: NodeCtx): Sym {
  c.only('allowzero');
  const s = c.sym(0);
  const x = s.k === 'sign' || s.k === 'val' ? (s.k === 'sign' ? s.x : s.v) : c.val(0);
  const shape = c.const(1, 'the shape').data;
  const dims = onnxDims(x);
  const res = reshapeDims(c, dims, shape);
  if (res.length === 2 && res[0] === dims[0] && (dims.length === 4 || dims.length === 2)) return flatten(c, s);
  if (x.type.dtype !== 'f32') c.unsupported(`only a flatten-like Reshape ([N, -1]) of a ±1 tensor is supported, got shape [${Array.from(shape).join(',')}] for input [${dims.join(',')}]`);
  return reshapeTo(c, c.val(0), res);
}

function constant(c: NodeCtx): Sym {
  const names = c.attrNames();
  if (names.length !== 1) c.unsupported(`needs exactly one value attribute, got ${names.join(', ') || 'none'}`);
  const [a] = names;
  const t = c.tensorAttr('value');
  if (a === 'value' && t) return { k: 'const', c: { ...t, name: c.node.output[0] } };
  const name = c.node.output[0];
  if (a === 'value_float') return { k: 'const', c: { name, dims: [], dtype: 1, data: Float32Array.of(c.float(a, 0)) } };
  if (a === 'value_floats') return { k: 'const', c: { name, dims: [c.floatsAttr(a)!.length], dtype: 1, data: Float32Array.from(c.floatsAttr(a)!) } };
  if (a === 'value_int') return { k: 'const', c: { name, dims: [], dtype: 7, data: [c.int(a, 0)] } };
  if (a === 'value_ints') return { k: 'const', c: { name, dims: [c.ints(a, []).length], dtype: 7, data: c.ints(a, []) } };
  return c.unsupported(`attribute "${a}" is not supported`);
}


/**
 * The handler of each ONNX op. The binary patterns are those of training/ONNX_PATTERNS.md:
 *   sign    Where(GreaterOrEqual(x, 0), 1, −1)           → Binarize(x) (x >= 0 → +1)
 *   XNOR    Conv/Gemm/MatMul(sign, W = α·(±1) per output) → BinConv2D (padValue "zero": ONNX
 *           pads the ±1 tensor with 0) / BinDense; mul = α, bias = B
 *   K map   Mul(that layer, Conv(ReduceMean(Abs(x), [1]), box)) → InputScale(x) as its kmap
 *           (a Gemm's K is Mul(Gemm, ReduceMean(Abs(x), [1])): InputScale of the 2-D x)
 *   BWN     Conv/Gemm/MatMul(float x, W = α·(±1))          → BwnConv2D / BwnDense
 *   Sign    ONNX's Sign(x) (papers' torch.sign)             → the same sign symbol: Binarize
 *           when a binary layer reads it (an exact 0 reads as +1, ONNX gives 0: training/
 *           README.md "Bring your own PyTorch BNN"), a float Unary sign for any other reader
 * Weights binarized in the graph (Sign/Abs/ReduceMean/Mul on the initializer) arrive here
 * already folded into constants (fold-const.ts), so the XNOR rule above applies to them.
 * Where: Conv/Gemm/MatMul and the K map in ops-layers.ts; per-channel Add/Sub/Mul/Div and
 * BatchNormalization in ops-affine.ts; other broadcasts, activations and shape ops in
 * ops-nd.ts; pools in ops-pool.ts; windows and Pad folding in window.ts; layouts in layout.ts;
 * integer and bool tensors in elem-types.ts.
 */
export const HANDLERS: Record<string, Handler> = {
  Conv: oneD(conv),
  Gemm: gemm,
  MatMul: matmul,
  BatchNormalization: batchNorm,
  Relu: unary('Relu'),
  Tanh: unary('Tanh'),
  MaxPool: oneD(maxPool, 'MaxPool'),
  AveragePool: oneD(avgPool, 'AvgPool'),
  GlobalAveragePool(c) {
    c.only();
    return val(c.b.node(c.where, 'GlobalAvgPool', c.name, [c.f32(0, 4).name]).val);
  },
  GlobalMaxPool(c) {
    c.only();
    const s = c.sym(0);
    const v = s.k === 'sign' ? s.x : c.val(0);
    const [, h, w] = spatial(c, v);
    const r = c.b.node(c.where, 'MaxPool', c.name, [v.name], { kernel: [h, w] }).val;
    return s.k === 'sign' ? { k: 'sign', x: r } : val(r);
  },
  Add: arith('Add'),
  Sub: arith('Sub'),
  Mul: arith('Mul'),
  Div: arith('Div'),
  Flatten(c) {
    c.only('axis');
    const s = c.sym(0);
    const rank = s.k === 'val' || s.k === 'sign' ? (s.k === 'val' ? s.v : s.x).type.shape.length : 0;
    const axis = c.int('axis', 1);
    if (axis === 1 || axis === 1 - rank) return flatten(c, s);
    const v = c.f32(0);
    const d = onnxDims(v);
    const ax = axis < 0 ? axis + d.length : axis;
    if (ax < 0 || ax > d.length) c.fail(`axis=${axis} is out of range for rank ${d.length}`);
    return reshapeTo(c, v, [sizeOf(d.slice(0, ax)), sizeOf(d.slice(ax))]);
  },
  Reshape: reshape,
  ...ND_HANDLERS,
  Identity(c) {
    c.only();
    return c.sym(0);
  },
  Dropout(c) {
    c.only('seed', 'ratio', 'is_test');
    // Training mode drops at random, unless the ratio is 0.
    const ratio = c.has(1) ? Number(c.const(1, 'ratio').data[0]) : c.float('ratio', 0.5);
    if (c.has(2) && allEqual(c.const(2, 'training_mode'), 1) && ratio !== 0) c.unsupported(`training_mode=true with ratio ${ratio} is not supported (random)`);
    // Nothing is dropped: the mask (output 1) is all true.
    if (c.used(1)) {
      const dims = onnxDims(c.val(0));
      c.define(c.node.output[1], { k: 'const', c: { name: c.node.output[1], dims, dtype: 9, data: new Array<number>(sizeOf(dims)).fill(1) } });
    }
    return c.sym(0);
  },
  Constant: constant,
  Abs(c) {
    c.only();
    return { k: 'abs', x: c.f32(0) };
  },
  ReduceMean(c) {
    c.only('axes', 'keepdims', 'noop_with_empty_axes');
    const s = c.sym(0);
    if (s.k !== 'abs') return reduceMean(c);
    const rank = s.x.type.shape.length;
    const axes = c.has(1) ? Array.from(c.const(1, 'axes').data) : c.ints('axes', []);
    if (axes.length !== 1 || (axes[0] !== 1 && axes[0] !== 1 - rank) || c.int('keepdims', 1) !== 1 || (rank !== 2 && rank !== 4))
      c.unsupported(`only the channel mean (axes=[1], keepdims=1) of a 2-D or 4-D tensor is supported, got axes=[${axes.join(',')}]`);
    return { k: 'absmean', x: s.x };
  },
  GreaterOrEqual(c) {
    c.only();
    // x >= 0 stays lazy: Where(x >= 0, 1, −1) is the sign pattern; any other reader gets 0/1.
    const [x, z] = [c.sym(0), c.sym(1)];
    if (x.k === 'val' && x.v.type.dtype === 'f32' && z.k === 'const' && allEqual(z.c, 0) && z.c.dims.length <= onnxDims(x.v).length) return { k: 'ge0', x: x.v };
    return greaterOrEqual(c);
  },
  Where(c) {
    c.only();
    const cond = c.sym(0);
    const [p, m] = [c.sym(1), c.sym(2)];
    if (cond.k === 'ge0' && p.k === 'const' && m.k === 'const' && allEqual(p.c, 1) && allEqual(m.c, -1) && p.c.data.length === 1 && m.c.data.length === 1)
      return { k: 'sign', x: cond.x };
    return where(c);
  },
};

NodeCtx.handle = (c) => {
  const h = Object.prototype.hasOwnProperty.call(HANDLERS, c.node.op_type) ? HANDLERS[c.node.op_type] : undefined;
  if (!h) return c.unsupported(`op ${c.node.op_type} is not supported`);
  return h(c);
};
