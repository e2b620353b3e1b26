// ONNX op → .xnn ops (src/ops/spec.ts). One function per ONNX op; each returns what its
// output is (graph.ts: Sym). The binary patterns are those of training/ONNX_PATTERNS.md:
//   sign    Where(GreaterOrEqual(x, 0), 1, −1)           → Binarize(x) (x >= 0 → +1)
//   XNOR    Conv/Gemm/MatMul(sign, W = α·(±1) per output) → BinConv2D (padValue "zero": ONNX
//           pads the ±1 tensor with 0) / BinDense; mul = α, bias = B
//   K map   Mul(that layer, Conv(ReduceMean(Abs(x), [1]), box)) → InputScale(x) as its kmap
//           (a Gemm's K is Mul(Gemm, ReduceMean(Abs(x), [1])): InputScale of the 2-D x)
//   BWN     Conv/Gemm/MatMul(float x, W = α·(±1))          → BwnConv2D / BwnDense
//   Sign    ONNX's Sign(x) (papers' torch.sign)             → the same sign symbol: Binarize
//           when a binary layer reads it (an exact 0 reads as +1, ONNX gives 0: training/
//           README.md "Bring your own PyTorch BNN"), a float Unary sign for any other reader
// Weights binarized in the graph (Sign/Abs/ReduceMean/Mul on the initializer) arrive here
// already folded into constants (fold-const.ts), so the XNOR rule above applies to them.
// Constant operands of Add/Sub/Mul/Div broadcast per channel become a BatchNorm affine,
// which fold.ts then folds into the layer before it where it can; other broadcasts are Arith
// (ops-nd.ts). Pools: ops-pool.ts; windows and Pad folding: window.ts; layouts: layout.ts.

import type { XnnNode } from '../../format/xnn.js';
import type { OpName } from '../../ops/spec.js';
import { toNhwc, type Sym, type Val } from './graph.js';
import type { NodeCtx } from './node.js';
import type { Const } from './proto.js';
import { batchedMatmul, broadcastArith, ND_HANDLERS, reduceMean, reshapeTo } from './ops-nd.js';
import { oneD, avgPool, maxPool } from './ops-pool.js';
import { padded, spatial, window } from './window.js';
import { onnxDims, size as sizeOf } from './layout.js';
import { reshapeDims } from './fold-const.js';

type Handler = (c: NodeCtx) => Sym;
const val = (v: Val): Sym => ({ k: 'val', v });
const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/**
 * Per output row: α = mean |w| if every |w| of the row is within 1e-5 relative of it
 * (w = α·(±1)); exact for stored ±α weights, and it absorbs the last-bit differences of
 * weights folded at conversion (fold-const.ts: α·sign(W) − W + W). α = 0 is not binary.
 */
export function binaryRows(w: Float32Array, o: number): { alpha: Float32Array } | { row: number; a: number; b: number } {
  const per = w.length / o;
  const alpha = new Float32Array(o);
  for (let r = 0; r < o; r++) {
    let sum = 0;
    for (let i = 0; i < per; i++) sum += Math.abs(w[r * per + i]);
    const a = Math.fround(sum / per);
    for (let i = 0; i < per; i++) {
      const b = Math.abs(w[r * per + i]);
      if (!(Math.abs(b - a) <= 1e-5 * a)) return { row: r, a: Math.abs(w[r * per]), b: b === Math.abs(w[r * per]) ? a : b };
    }
    alpha[r] = a;
  }
  return { alpha };
}

/**
 * A constant that broadcasts along the channel axis of v (4-D: scalar or [C,1,1] after
 * leading 1s; 2-D: scalar or [F]) as one value per channel/feature in our order.
 */
function perChannel(c: NodeCtx, k: Const, v: Val): Float32Array {
  const ch = v.type.shape[v.type.shape.length - 1];
  const data = c.floats(k, size(k.dims), `constant`);
  if (data.length === 1) return new Float32Array(ch).fill(data[0]);
  const dims = [...k.dims];
  while (dims.length && dims[0] === 1) dims.shift();
  const rank = v.type.shape.length;
  const ok = rank === 4 ? dims.length === 3 && dims[0] === ch && dims[1] === 1 && dims[2] === 1 : rank === 2 && dims.length === 1 && dims[0] === ch;
  if (!ok) c.unsupported(`broadcasting constant "${k.name}" [${k.dims.join(',')}] over an input of ONNX shape [${onnxShape(v).join(',')}] is not supported (only per-channel constants)`);
  if (!v.nchw) return Float32Array.from(data);
  const out = new Float32Array(ch);
  data.forEach((d, j) => (out[toNhwc(j, v.nchw!)] = d));
  return out;
}

/** Whether constant k broadcasts per channel over v (perChannel accepts it). */
function isPerChannel(k: Const, v: Val): boolean {
  if (!(k.data instanceof Float32Array)) return false;
  if (k.data.length === 1) return k.dims.length <= v.type.shape.length;
  const dims = [...k.dims];
  if (dims.length > v.type.shape.length) return false;
  while (dims.length && dims[0] === 1) dims.shift();
  const ch = v.type.shape[v.type.shape.length - 1];
  const rank = v.type.shape.length;
  return rank === 4 ? dims.length === 3 && dims[0] === ch && dims[1] === 1 && dims[2] === 1 : rank === 2 && dims.length === 1 && dims[0] === ch;
}

function onnxShape(v: Val): number[] {
  const s = v.type.shape;
  return s.length === 4 ? [s[0], s[3], s[1], s[2]] : [...s];
}

/** y = (x · scale) + shift per channel, as a BatchNorm node (fold.ts folds it where it can). */
function affine(c: NodeCtx, v: Val, scale: Float32Array, shift: Float32Array): Sym {
  if (v.type.dtype !== 'f32') c.unsupported('arithmetic on a ±1 tensor is not supported');
  const s = c.b.f32(`${c.name}_scale`, [scale.length], scale);
  const t = c.b.f32(`${c.name}_shift`, [shift.length], shift);
  return val({ ...c.b.node(c.where, 'BatchNorm', c.name, [v.name, s, t]).val, nchw: v.nchw });
}

function unary(op: OpName): Handler {
  return (c) => {
    c.only();
    const v = c.f32(0);
    return val({ ...c.b.node(c.where, op, c.name, [v.name]).val, nchw: v.nchw });
  };
}

/** The data input of a Conv/Gemm/MatMul and whether the layer is XNOR (its input is ±1). */
function layerInput(c: NodeCtx, s: Sym = c.sym(0)): { v: Val; xnor: boolean } {
  if (s.k === 'sign') return { v: c.b.binarize(c.where, s.x), xnor: true };
  const v = s.k === 'val' ? s.v : c.val(0);
  return { v, xnor: v.type.dtype === 'b1' };
}

/**
 * The .xnn layer for weights w [O, K] (K in our input order): BinConv2D/BinDense on a ±1
 * input (weights must be ±α), BwnConv2D/BwnDense when the weights happen to be ±α,
 * Conv2D/Dense otherwise.
 */
function layer(c: NodeCtx, conv: boolean, v: Val, xnor: boolean, w: Float32Array, wShape: number[], bias: Float32Array | undefined, attrs: XnnNode['attrs']): Sym {
  const o = wShape[0];
  const rows = binaryRows(w, o);
  const { b } = c;
  if (xnor && !('alpha' in rows)) {
    const what = conv ? 'output channel' : 'output';
    c.unsupported(
      `the weights "${c.node.input[1]}" of this binary (XNOR) layer are not ±α per ${what}: ${what} ${rows.row} has |w| = ${rows.a} and ${rows.b}`,
    );
  }
  if ('alpha' in rows) {
    const op: OpName = xnor ? (conv ? 'BinConv2D' : 'BinDense') : conv ? 'BwnConv2D' : 'BwnDense';
    const wn = b.b1(`${c.name}_weight`, wShape, w);
    const mul = b.f32(`${c.name}_mul`, [o], rows.alpha);
    const bn = b.f32(`${c.name}_bias`, [o], bias ?? new Float32Array(o));
    const out = b.node(c.where, op, c.name, [v.name, wn, mul, bn], xnor && conv ? { ...attrs, padValue: 'zero' } : attrs);
    if (xnor) b.binary.set(out.val.name, { node: out.node, onnxName: c.node.output[0], hasBias: !!bias && bias.some((x) => x !== 0) });
    return val(out.val);
  }
  const wn = b.f32(`${c.name}_weight`, wShape, w);
  const inputs = bias ? [v.name, wn, b.f32(`${c.name}_bias`, [o], bias)] : [v.name, wn];
  return val(b.node(c.where, conv ? 'Conv2D' : 'Dense', c.name, inputs, attrs).val);
}

function conv(c: NodeCtx): Sym {
  c.only('auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides');
  const group = c.int('group', 1);
  const W = c.const(1, 'the weight');
  if (W.dims.length !== 4) c.unsupported(`only 2-D convolutions are supported (weight [${W.dims.join(',')}])`);
  const [o, ci, kh, kw] = W.dims;
  const ks = c.ints('kernel_shape', [kh, kw]);
  if (ks[0] !== kh || ks[1] !== kw) c.fail(`kernel_shape [${ks.join(',')}] differs from the weight's [${kh},${kw}]`);
  const B = c.optConst(2, 'the bias');
  const bias = B ? c.floats(B, o, 'bias') : undefined;
  const w = c.floats(W, size(W.dims), 'weight');
  const { s: x, extra } = padded(c);

  if (x.k === 'absmean') {
    // K = Conv(A, box): box [1,1,kh,kw] of 1/(kh·kw), no bias → InputScale(x) with this window.
    const box = 1 / (kh * kw);
    if (o !== 1 || ci !== 1 || w.some((v) => Math.abs(v - box) > 1e-6 * box) || bias?.some((v) => v !== 0))
      c.unsupported(`a Conv of ReduceMean(Abs(x)) is only supported as the K map's box filter ([1,1,kh,kw] of 1/(kh·kw), no bias); weight "${W.name}" [${W.dims.join(',')}] is not`);
    spatial(c, x.x);
    const win = window(c, x.x, kh, kw);
    return { k: 'kmap', x: x.x, attrs: { kernel: [kh, kw], ...win } };
  }
  const { v, xnor } = layerInput(c, x);
  const [, , , ch] = spatial(c, v);
  if (ch !== ci * group) c.fail(`the weight has ${ci} input channels${group > 1 ? ` per group (group=${group})` : ''}, the input has ${ch}`);
  // OIHW → OHWI
  const ohwi = new Float32Array(w.length);
  for (let oc = 0; oc < o; oc++)
    for (let cc = 0; cc < ci; cc++)
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++) ohwi[((oc * kh + i) * kw + j) * ci + cc] = w[((oc * ci + cc) * kh + i) * kw + j];
  const win = window(c, v, kh, kw);
  win.pads = win.pads.map((p, i) => p + extra[i]);
  if (group !== 1) {
    if (xnor) c.unsupported(`a grouped (group=${group}) binary convolution is not supported`);
    const wn = c.b.f32(`${c.name}_weight`, [o, kh, kw, ci], ohwi);
    const inputs = bias ? [v.name, wn, c.b.f32(`${c.name}_bias`, [o], bias)] : [v.name, wn];
    return val(c.b.node(c.where, 'GroupConv2D', c.name, inputs, { ...win, group }).val);
  }
  return layer(c, true, v, xnor, ohwi, [o, kh, kw, ci], bias, win);
}

/** Gemm/MatMul with weight wt [O, K] in ONNX column order. */
function dense(c: NodeCtx, wt: Float32Array, o: number, k: number, bias: Float32Array | undefined, s: Sym = c.sym(0)): Sym {
  const { v, xnor } = layerInput(c, s);
  if (v.type.shape.length !== 2) c.unsupported(`expects a 2-D input, got [${onnxShape(v).join(',')}]`);
  if (v.type.shape[1] !== k) c.fail(`the weight has ${k} inputs, the input has ${v.type.shape[1]} features`);
  let w = wt;
  if (v.nchw) {
    w = new Float32Array(wt.length);
    for (let r = 0; r < o; r++) for (let j = 0; j < k; j++) w[r * k + toNhwc(j, v.nchw)] = wt[r * k + j];
  }
  return layer(c, false, v, xnor, w, [o, k], bias, {});
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
  return t;
}

function gemm(c: NodeCtx): Sym {
  c.only('alpha', 'beta', 'transA', 'transB');
  const B = c.const(1, 'the weight');
  if (B.dims.length !== 2) c.fail(`the weight must be 2-D, got [${B.dims.join(',')}]`);
  const transB = c.int('transB', 0) !== 0;
  const [o, k] = transB ? B.dims : [B.dims[1], B.dims[0]];
  let w = c.floats(B, o * k, 'weight');
  if (!transB) w = transpose(w, k, o);
  const alpha = c.float('alpha', 1);
  if (alpha !== 1) w = Float32Array.from(w, (x) => x * alpha);
  const C = c.optConst(2, 'the bias C');
  let bias: Float32Array | undefined;
  const beta = c.float('beta', 1);
  const perOutput = C && (size(C.dims) === 1 || (size(C.dims) === o && C.dims[C.dims.length - 1] === o));
  if (C && perOutput) {
    const n = size(C.dims);
    const d = c.floats(C, n, 'bias C');
    bias = Float32Array.from({ length: o }, (_, i) => (n === 1 ? d[0] : d[i]) * beta);
  }
  let s = c.sym(0);
  if (c.int('transA', 0) !== 0) {
    const a = c.val(0);
    if (a.type.shape.length !== 2) c.unsupported(`transA=1 needs a 2-D input, got [${onnxDims(a).join(',')}]`);
    s = { k: 'val', v: c.b.node(c.where, 'Transpose', `${c.name}_A`, [inOnnxOrder2(c, a).name], { perm: [1, 0] }).val };
  }
  const y = dense(c, w, o, k, bias, s);
  if (!C || perOutput) return y;
  // A bias C of another broadcastable shape ([M, N], [M, 1]): an Arith add after the Dense.
  const d = c.floats(C, size(C.dims), 'bias C');
  const yv = (y as Extract<Sym, { k: 'val' }>).v;
  const cd = [...new Array(2 - C.dims.length).fill(1), ...C.dims];
  const kc = c.b.f32(`${c.name}_C`, cd, beta === 1 ? d : d.map((x) => x * beta));
  return val(c.b.node(c.where, 'Arith', `${c.name}_plusC`, [yv.name, kc], { fn: 'add' }).val);
}

/** A 2-D value in ONNX feature order (a flattened C×H×W is reordered). */
function inOnnxOrder2(c: NodeCtx, v: Val): Val {
  return v.nchw ? (reshapeTo(c, v, onnxDims(v)) as Extract<Sym, { k: 'val' }>).v : v;
}

function matmul(c: NodeCtx): Sym {
  c.only();
  const B = c.const(1, 'the weight');
  const s0 = c.sym(0);
  const a = s0.k === 'val' ? s0.v : undefined;
  if (B.dims.length === 2 && (!a || a.type.shape.length === 2)) {
    const [k, o] = B.dims;
    return dense(c, transpose(c.floats(B, k * o, 'weight'), k, o), o, k, undefined);
  }
  return batchedMatmul(c, c.f32(0), B);
}

function batchNorm(c: NodeCtx): Sym {
  c.only('epsilon', 'momentum', 'training_mode', 'spatial');
  if (c.int('training_mode', 0) !== 0) c.unsupported('training_mode=1 is not supported');
  if (c.int('spatial', 1) !== 1) c.unsupported('spatial=0 is not supported');
  c.singleOutput();
  const v = c.f32(0);
  const rank = v.type.shape.length;
  if (rank < 2) c.unsupported(`expects an input of rank >= 2, got [${onnxShape(v).join(',')}]`);
  const n = onnxShape(v)[1];
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => c.floats(c.const(i, ['', 'scale', 'B', 'mean', 'var'][i]), n, ['', 'scale', 'B', 'mean', 'var'][i]));
  const eps = c.float('epsilon', 1e-5);
  const scale = new Float32Array(n);
  const shift = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    const i = v.nchw ? toNhwc(j, v.nchw) : j;
    const s = gamma[j] / Math.sqrt(variance[j] + eps);
    scale[i] = s;
    shift[i] = beta[j] - mean[j] * s;
  }
  if (rank === 2 || rank === 4) return affine(c, v, scale, shift);
  // Channels on axis 1 of a rank-3/5… value (stored in ONNX order): x·scale + shift broadcast.
  const dims = onnxShape(v).map((d, i) => (i === 1 ? d : 1));
  const ks = c.b.f32(`${c.name}_scale`, dims, scale);
  const kt = c.b.f32(`${c.name}_shift`, dims, shift);
  const y = c.b.node(c.where, 'Arith', `${c.name}_mul`, [v.name, ks], { fn: 'mul' }).val;
  return val(c.b.node(c.where, 'Arith', c.name, [y.name, kt], { fn: 'add' }).val);
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
  const dims = onnxShape(x);
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

const allEqual = (k: Const, x: number) => k.data.length > 0 && Array.from(k.data).every((v) => v === x);

/** Mul by a K map: the other operand must be a binary layer's output read only here. */
function attachK(c: NodeCtx, y: Val, k: Extract<Sym, { k: 'absmean' | 'kmap' }>): Sym {
  const layer = c.b.binary.get(y.name);
  if (!layer)
    c.unsupported(`multiplies by XNOR-Net's K (mean |x|), but the other operand is not the output of a binary (XNOR) Conv/Gemm`);
  if (layer.node.inputs[4]) c.unsupported('the binary layer already has a K map');
  if (layer.hasBias) c.unsupported(`the binary layer "${layer.node.name}" has a bias; (α·dot + B)·K is not supported (add the bias after the Mul)`);
  if (c.uses.get(layer.onnxName) !== 1) c.unsupported(`the output of "${layer.node.name}" is also read elsewhere, so K cannot be folded into it`);
  const attrs = k.k === 'kmap' ? k.attrs : { kernel: [1, 1] };
  const kmap = c.b.node(c.where, 'InputScale', `${c.name}_K`, [k.x.name], attrs).val;
  const inputs = [...layer.node.inputs, kmap.name];
  c.b.infer(c.where, layer.node.op, inputs, layer.node.attrs);
  layer.node.inputs = inputs;
  c.b.binary.delete(y.name);
  return val(y);
}

/** Add/Sub/Mul/Div with one constant operand, as a per-channel affine. */
function arith(op: 'Add' | 'Sub' | 'Mul' | 'Div'): Handler {
  return (c) => {
    c.only();
    const [p, q] = [c.sym(0), c.sym(1)];
    if (op === 'Mul') {
      if (p.k === 'val' && (q.k === 'kmap' || q.k === 'absmean')) return attachK(c, p.v, q);
      if (q.k === 'val' && (p.k === 'kmap' || p.k === 'absmean')) return attachK(c, q.v, p);
    }
    if (op === 'Add' && p.k === 'val' && q.k === 'val' && String(p.v.nchw) === String(q.v.nchw) && p.v.type.shape.join() === q.v.type.shape.join())
      return val({ ...c.b.node(c.where, 'Add', c.name, [p.v.name, q.v.name]).val, nchw: p.v.nchw });
    const commutes = op === 'Add' || op === 'Mul';
    let v: Val, k: Const;
    if (p.k === 'val' && q.k === 'const') [v, k] = [p.v, q.c];
    else if (commutes && q.k === 'val' && p.k === 'const') [v, k] = [q.v, p.c];
    else return broadcastArith(c, op.toLowerCase() as 'add');
    if (!isPerChannel(k, v) || v.type.dtype !== 'f32') return broadcastArith(c, op.toLowerCase() as 'add');
    const d = perChannel(c, k, v);
    const one = new Float32Array(d.length).fill(1);
    const zero = new Float32Array(d.length);
    if (op === 'Add') return affine(c, v, one, d);
    if (op === 'Sub') return affine(c, v, one, d.map((x) => -x));
    if (op === 'Mul') return affine(c, v, d, zero);
    return affine(c, v, d.map((x) => 1 / x), zero);
  };
}

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
    c.singleOutput();
    // Training mode drops at random, unless the ratio is 0.
    const ratio = c.has(1) ? Number(c.const(1, 'ratio').data[0]) : c.float('ratio', 0.5);
    if (c.has(2) && allEqual(c.const(2, 'training_mode'), 1) && ratio !== 0) c.unsupported(`training_mode=true with ratio ${ratio} is not supported (random)`);
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
    const x = c.f32(0);
    const z = c.const(1, 'the threshold');
    if (!allEqual(z, 0)) c.unsupported(`only x >= 0 (the sign pattern) is supported, the threshold "${z.name}" is not 0`);
    return { k: 'ge0', x };
  },
  Where(c) {
    c.only();
    const cond = c.sym(0);
    const sign = 'Where(GreaterOrEqual(x, 0), 1, -1)';
    if (cond.k !== 'ge0') return c.unsupported(`only the sign pattern ${sign} is supported`);
    const [p, m] = [c.const(1, 'the value if true'), c.const(2, 'the value if false')];
    if (!allEqual(p, 1) || !allEqual(m, -1)) c.unsupported(`only the sign pattern ${sign} is supported; the values are "${p.name}" and "${m.name}"`);
    return { k: 'sign', x: cond.x };
  },
};
