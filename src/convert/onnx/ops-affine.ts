// Per-channel Add/Sub/Mul/Div by a constant and BatchNormalization → a BatchNorm affine (fold.ts folds
// it where it can); other broadcasts are Arith (ops-nd.ts).

import { toNhwc, type Sym, type Val } from './graph.js';
import type { NodeCtx } from './node.js';
import type { Const } from './proto.js';
import { broadcastArith } from './ops-nd.js';
import { attachK } from './ops-layers.js';
import { onnxDims } from './layout.js';

type Handler = (c: NodeCtx) => Sym;
const val = (v: Val): Sym => ({ k: 'val', v });
const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);
export const allEqual = (k: Const, x: number) => k.data.length > 0 && Array.from(k.data).every((v) => v === x);

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
  if (!ok) c.unsupported(`broadcasting constant "${k.name}" [${k.dims.join(',')}] over an input of ONNX shape [${onnxDims(v).join(',')}] is not supported (only per-channel constants)`);
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

/** y = (x · scale) + shift per channel, as a BatchNorm node (fold.ts folds it where it can). */
function affine(c: NodeCtx, v: Val, scale: Float32Array, shift: Float32Array): Sym {
  if (v.type.dtype !== 'f32') c.unsupported('arithmetic on a ±1 tensor is not supported');
  const s = c.b.f32(`${c.name}_scale`, [scale.length], scale);
  const t = c.b.f32(`${c.name}_shift`, [shift.length], shift);
  return val({ ...c.b.node(c.where, 'BatchNorm', c.name, [v.name, s, t]).val, nchw: v.nchw });
}


export function batchNorm(c: NodeCtx): Sym {
  c.only('epsilon', 'momentum', 'training_mode', 'spatial');
  if (c.int('spatial', 1) !== 1) c.unsupported('spatial=0 is not supported');
  if (c.int('training_mode', 0) !== 0) return trainingBatchNorm(c);
  c.singleOutput();
  const v = c.f32(0);
  const rank = v.type.shape.length;
  if (rank < 2) c.unsupported(`expects an input of rank >= 2, got [${onnxDims(v).join(',')}]`);
  const n = onnxDims(v)[1];
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
  const dims = onnxDims(v).map((d, i) => (i === 1 ? d : 1));
  const ks = c.b.f32(`${c.name}_scale`, dims, scale);
  const kt = c.b.f32(`${c.name}_shift`, dims, shift);
  const y = c.b.node(c.where, 'Arith', `${c.name}_mul`, [v.name, ks], { fn: 'mul' }).val;
  return val(c.b.node(c.where, 'Arith', c.name, [y.name, kt], { fn: 'add' }).val);
}


/** Add/Sub/Mul/Div with one constant operand, as a per-channel affine. */
export function arith(op: 'Add' | 'Sub' | 'Mul' | 'Div'): Handler {
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

/**
 * Training mode: normalized with the batch's mean and (biased) variance over all axes but the
 * channel axis 1; outputs 1 and 2 are the running statistics input·momentum + batch·(1 − momentum)
 * (ONNX's reference). Deterministic, so it is computed, as the ONNX nodes it expands into.
 */
function trainingBatchNorm(c: NodeCtx): Sym {
  const x = c.node.input[0];
  const d = onnxDims(c.f32(0));
  if (d.length < 2) c.unsupported(`expects an input of rank >= 2, got [${d.join(',')}]`);
  const n = d[1];
  const axes = d.map((_, i) => i).filter((i) => i !== 1);
  const perCh = d.map((e, i) => (i === 1 ? e : 1));
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => c.floats(c.const(i, ['', 'scale', 'B', 'mean', 'var'][i]), n, ['', 'scale', 'B', 'mean', 'var'][i]));
  const [eps, momentum] = [c.float('epsilon', 1e-5), c.float('momentum', 0.9)];
  const avg = (v: string) =>
    c.opset >= 18 ? c.expand('ReduceMean', [v, c.constant('axes', [axes.length], axes, 7)]) : c.expand('ReduceMean', [v], { axes, keepdims: 1 });
  const mu = avg(x);
  const dev = c.expand('Sub', [x, mu]);
  const vr = avg(c.expand('Mul', [dev, dev]));
  const sd = c.expand('Sqrt', [c.expand('Add', [vr, c.constant('eps', [], Float32Array.of(eps))])]);
  const norm = c.expand('Div', [dev, sd]);
  const y = c.expand('Add', [c.expand('Mul', [norm, c.constant('scale', perCh, gamma)]), c.constant('B', perCh, beta)]);
  ([[1, mu, mean], [2, vr, variance]] as const).forEach(([i, batch, running]) => {
    if (!c.used(i)) return;
    const flat = c.expand('Reshape', [batch, c.constant(`shape${i}`, [1], [n], 7)]);
    const part = c.expand('Mul', [flat, c.constant(`keep${i}`, [], Float32Array.of(1 - momentum))]);
    const old = c.constant(`running${i}`, [n], Float32Array.from(running, (r) => r * momentum));
    c.define(c.node.output[i], c.lookup(c.expand('Add', [part, old])));
  });
  return c.lookup(y);
}
