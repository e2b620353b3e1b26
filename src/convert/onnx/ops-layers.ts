// Conv/Gemm/MatMul → .xnn layers: BinConv2D/BinDense, BwnConv2D/BwnDense, else Conv2D/Dense/GroupConv2D
// (patterns: training/ONNX_PATTERNS.md, ops.ts); and XNOR-Net's K map, which a Mul folds into the binary layer.

import type { XnnNode } from '../../format/xnn.js';
import type { OpName } from '../../ops/spec.js';
import { toNhwc, type Sym, type Val } from './graph.js';
import type { NodeCtx } from './node.js';
import { batchedMatmul, reshapeTo } from './ops-nd.js';
import { padded, spatial, window } from './window.js';
import { onnxDims } from './layout.js';

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

export function conv(c: NodeCtx): Sym {
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
  if (v.type.shape.length !== 2) c.unsupported(`expects a 2-D input, got [${onnxDims(v).join(',')}]`);
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

export function gemm(c: NodeCtx): Sym {
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

export function matmul(c: NodeCtx): Sym {
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


/** Mul by a K map: the other operand must be a binary layer's output read only here. */
export function attachK(c: NodeCtx, y: Val, k: Extract<Sym, { k: 'absmean' | 'kmap' }>): Sym {
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
