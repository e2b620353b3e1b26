// ONNX ops beyond the binary patterns (ops.ts): activations, broadcast arithmetic, Pad, Concat, Transpose,
// reshapes of any rank, Shape, ReduceMean, batched MatMul; values in storage order (layout.ts).

import type { Sym, Val } from './graph.js';
import { constToStorage, fromOnnxOrder, inOnnxOrder, liftVal, onnxDims, reshapeVal, size, storageAxis, storagePerm, transposeVal } from './layout.js';
import { NodeCtx } from './node.js';
import type { Const } from './proto.js';
import { exactF32 } from './elem-types.js';
import { squeezeDims, unsqueezeDims } from './fold-const.js';

type Handler = (c: NodeCtx) => Sym;
const val = (v: Val): Sym => ({ k: 'val', v });
const F32_MAX = 3.4028234663852886e38;

/** The float value of a lazy symbol (graph.ts), made once per ONNX value. */
NodeCtx.materialize = (c, i, s) => {
  const name = c.node.input[i];
  const done = c.b.materialized.get(name);
  if (done) return done;
  let v: Val | undefined;
  if (s.k === 'abs') v = c.b.node(c.where, 'Unary', `${name}_abs`, [s.x.name], { fn: 'abs' }).val;
  else if (s.k === 'ge0') v = stepOf(c, s.x, `${name}_ge`);
  else if (s.k === 'sign' && s.onnx) v = { ...c.b.node(c.where, 'Unary', `${name}_sign`, [s.x.name], { fn: 'sign' }).val, nchw: s.x.nchw };
  else if (s.k === 'pad') {
    const x = s.x.k === 'val' ? s.x.v : s.x.onnx ? c.b.node(c.where, 'Unary', `${name}_sign`, [s.x.x.name], { fn: 'sign' }).val : undefined;
    if (!x) return undefined;
    const [t, l, b, r] = s.pads;
    v = c.b.node(c.where, 'Pad', `${name}_pad`, [x.name], { pads: [0, t, l, 0, 0, b, r, 0], value: s.value }).val;
  }
  if (v) c.b.materialized.set(name, v);
  return v;
};

function unaryOp(fn: string, attrs: (c: NodeCtx) => { alpha?: number; beta?: number } = () => ({})): Handler {
  return (c) => {
    const v = c.f32(0);
    return val({ ...c.b.node(c.where, 'Unary', c.name, [v.name], { fn, ...attrs(c) }).val, nchw: v.nchw });
  };
}

/** A float scalar from an optional constant input. */
function scalarInput(c: NodeCtx, i: number, what: string): number | undefined {
  if (!c.has(i)) return undefined;
  const k = c.const(i, what);
  if (k.data.length !== 1) c.unsupported(`${what} "${k.name}" must be a scalar, got [${k.dims.join(',')}]`);
  return Number(k.data[0]);
}

/** An operand of broadcast arithmetic in storage order at ONNX rank r (an integer constant as exact f32). */
function operand(c: NodeCtx, s: Sym, i: number, r: number): string {
  if (s.k === 'const') {
    const k = s.c;
    const { dims, data } = constToStorage(c, { ...k, data: exactF32(c, k, i) }, r);
    return c.b.f32(`${c.name}_k${i}`, dims, data);
  }
  return liftVal(c, s.k === 'val' ? s.v : c.val(i), r).name;
}

type ArithFn = 'add' | 'sub' | 'mul' | 'div' | 'prelu' | 'max' | 'min';
/** y = fn(a, b) with numpy broadcasting, on activations or constants (Arith); operands default to inputs 0 and 1. */
export function broadcastArith(c: NodeCtx, fn: ArithFn, p: Sym = c.sym(0), q: Sym = c.sym(1), name = c.name): Sym {
  const rank = (s: Sym, i: number) => (s.k === 'const' ? s.c.dims.length : onnxDims(s.k === 'val' ? s.v : c.val(i)).length);
  const r = Math.max(rank(p, 0), rank(q, 1));
  const a = operand(c, p, 0, r), b = operand(c, q, 1, r);
  if (fn === 'prelu' && p.k === 'const') c.unsupported('PRelu of a constant input is not supported');
  return val(c.b.node(c.where, 'Arith', name, [a, b], { fn }).val);
}

/** 1 where d >= 0, else 0, exactly: clip(sign(d) + 1, 0, 1) (fl(x − y) has the sign of x − y). */
export function stepOf(c: NodeCtx, d: Val, name: string): Val {
  const s = c.b.node(c.where, 'Unary', `${name}_sign`, [d.name], { fn: 'sign' }).val;
  const one = c.b.f32(`${name}_one`, new Array(d.type.shape.length).fill(1), Float32Array.of(1));
  const t = c.b.node(c.where, 'Arith', `${name}_plus1`, [s.name, one], { fn: 'add' }).val;
  return { ...c.b.node(c.where, 'Unary', name, [t.name], { fn: 'clip', alpha: 0, beta: 1 }).val, nchw: d.nchw };
}

/** GreaterOrEqual(a, b) as 0/1 (BOOL) values. */
export function greaterOrEqual(c: NodeCtx): Sym {
  const d = broadcastArith(c, 'sub', c.sym(0), c.sym(1), `${c.name}_diff`) as Extract<Sym, { k: 'val' }>;
  return val(stepOf(c, d.v, c.name));
}

/** Where(cond, x, y) for 0/1 cond: cond·x + (1 − cond)·y, exact for finite x and y. */
export function where(c: NodeCtx): Sym {
  const cond: Sym = { k: 'val', v: c.val(0) };
  // Operands as constants or float values (a lazy symbol made concrete by its own input index).
  const [x, y] = [1, 2].map((i): Sym => (c.sym(i).k === 'const' ? c.sym(i) : { k: 'val', v: c.val(i) }));
  for (const [s, i] of [[x, 1], [y, 2]] as const)
    if (s.k === 'const' && Array.from(s.c.data).some((v) => !Number.isFinite(v))) c.unsupported(`input ${i} "${s.c.name}" holds a non-finite value (0·inf is not 0)`);
  const one: Sym = { k: 'const', c: { name: `${c.name}_one`, dims: [], dtype: 1, data: Float32Array.of(1) } };
  const a = broadcastArith(c, 'mul', cond, x, `${c.name}_true`);
  const notCond = broadcastArith(c, 'sub', one, cond, `${c.name}_not`);
  const b = broadcastArith(c, 'mul', notCond, y, `${c.name}_false`);
  return broadcastArith(c, 'add', a, b);
}

function pad(c: NodeCtx): Sym {
  c.only('mode', 'pads', 'value');
  const mode = c.str('mode', 'constant');
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge') c.unsupported(`mode "${mode}" is not supported`);
  const s = c.sym(0);
  const x = s.k === 'val' || s.k === 'sign' ? s : undefined;
  const v = x?.k === 'sign' ? x.x : c.val(0);
  const r = onnxDims(v).length;
  const pads = c.opset >= 11 ? Array.from(c.const(1, 'the pads').data, Number) : c.ints('pads', []);
  if (pads.length !== 2 * r) c.fail(`pads has ${pads.length} values for a rank-${r} input`);
  if (pads.some((p) => p < 0)) c.unsupported(`negative pads (cropping) [${pads.join(',')}] are not supported`);
  const value = c.opset >= 11 ? scalarInput(c, 2, 'the constant value') ?? 0 : c.float('value', 0);
  // A zero pad of H and W only stays lazy: a following Conv or AveragePool takes it as its own padding.
  if (r === 4 && mode === 'constant' && pads[0] + pads[1] + pads[4] + pads[5] === 0 && x && (x.k === 'val' || x.onnx || value === 0))
    return { k: 'pad', x, pads: [pads[2], pads[3], pads[6], pads[7]], value };
  const xv = c.val(0);
  const perm = storagePerm(r);
  const sp = [...perm.map((a) => pads[a]), ...perm.map((a) => pads[a + r])];
  return val(c.b.node(c.where, 'Pad', c.name, [xv.name], { pads: sp, mode, value }).val);
}

function concat(c: NodeCtx): Sym {
  c.only('axis');
  const n = c.node.input.length;
  if (n > 16) c.unsupported(`${n} inputs; at most 16 are supported`);
  const ranks = c.node.input.map((_, i) => {
    const s = c.sym(i);
    return s.k === 'const' ? s.c.dims.length : onnxDims(c.val(i)).length;
  });
  const r = ranks[0];
  if (ranks.some((x) => x !== r)) c.fail(`inputs of ranks ${ranks.join(', ')}`);
  const ins = c.node.input.map((_, i) => {
    const s = c.sym(i);
    if (s.k === 'const') return operand(c, s, i, r);
    const v = c.val(i);
    return (v.nchw ? inOnnxOrder(c, v) : v).name;
  });
  const axis = storageAxis(c, r, c.int('axis', 0));
  return val(c.b.node(c.where, 'Concat', c.name, ins, { axis }).val);
}

function transpose(c: NodeCtx): Sym {
  c.only('perm');
  const v0 = c.val(0);
  const v = v0.nchw ? inOnnxOrder(c, v0) : v0;
  const r = onnxDims(v).length;
  const p = c.ints('perm', Array.from({ length: r }, (_, i) => r - 1 - i));
  if (p.length !== r) c.fail(`perm [${p.join(',')}] has ${p.length} axes, the input ${r}`);
  const sIn = storagePerm(r), sOut = storagePerm(r);
  // storage out axis j = ONNX out axis sOut[j] = ONNX in axis p[sOut[j]] = storage in axis sIn⁻¹(…)
  const q = sOut.map((a) => sIn.indexOf(p[a]));
  return val(transposeVal(c, v, q));
}

/** Any reshape in ONNX semantics: to ONNX order, Reshape, back to storage order. */
export function reshapeTo(c: NodeCtx, v: Val, dims: number[]): Sym {
  return val(fromOnnxOrder(c, inOnnxOrder(c, v), dims));
}

/** Softmax/LogSoftmax-like ops on any axis: moved last, the op, moved back. */
function softmax(c: NodeCtx): Sym {
  c.only('axis');
  const v0 = c.f32(0);
  const v = v0.nchw ? inOnnxOrder(c, v0) : v0;
  const r = onnxDims(v).length;
  const def = c.opset >= 13 ? -1 : 1;
  const axis = c.int('axis', def);
  if (c.opset < 13) {
    // Opset < 13: the input is coerced to 2-D [prod(d < axis), prod(d >= axis)].
    const d = onnxDims(v);
    const ax = axis < 0 ? axis + r : axis;
    const flat = reshapeVal(c, inOnnxOrder(c, v), [size(d.slice(0, ax)), size(d.slice(ax))]);
    const s = c.b.node(c.where, 'Softmax', c.name, [flat.name]).val;
    return val(fromOnnxOrder(c, s, d));
  }
  const a = storageAxis(c, r, axis);
  const last = v.type.shape.length - 1;
  const perm = Array.from({ length: last + 1 }, (_, i) => (i === a ? last : i === last ? a : i));
  const t = transposeVal(c, v, perm);
  const s = c.b.node(c.where, 'Softmax', c.name, [t.name]).val;
  return val(transposeVal(c, s, perm));
}

/**
 * A [..., M, K] × constant B [..., K, O] (numpy matmul; B's batch dims equal A's or absent) as
 * a grouped 1×1 convolution: the batch b of A becomes group b of the channels of [1, M, 1, b·K],
 * B's batch b its group's filters; the result [M, b, O] is moved back to [..., M, O].
 */
export function batchedMatmul(c: NodeCtx, a: Val, B: Const): Sym {
  const ad = onnxDims(a);
  if (ad.length < 2 || B.dims.length < 2) c.unsupported(`MatMul of [${ad.join(',')}] and [${B.dims.join(',')}] is not supported (rank >= 2 needed)`);
  const [m, k] = ad.slice(-2);
  const [kb, o] = B.dims.slice(-2);
  if (kb !== k) c.fail(`inner dimensions differ: [${ad.join(',')}] × [${B.dims.join(',')}]`);
  const batch = ad.slice(0, -2);
  const bBatch = B.dims.slice(0, -2);
  const nb = size(batch);
  if (bBatch.length && (size(bBatch) !== nb || bBatch.join() !== batch.slice(batch.length - bBatch.length).join() || size(batch.slice(0, batch.length - bBatch.length)) !== 1))
    c.unsupported(`broadcasting the weight [${B.dims.join(',')}] over the input's batch [${batch.join(',')}] is not supported`);
  const shared = bBatch.length === 0 || size(bBatch) === 1;
  const wd = c.floats(B, size(B.dims), 'weight');
  const groups = shared ? 1 : nb;
  // A as [M, nb, K] (rows of all batches side by side) in ONNX order.
  const a3 = reshapeTo(c, a, [nb, m, k]) as Extract<Sym, { k: 'val' }>;
  const amk = c.b.node(c.where, 'Transpose', `${c.name}_mbk`, [a3.v.name], { perm: [1, 0, 2] }).val;
  const x4 = c.b.node(c.where, 'Reshape', `${c.name}_x4`, [amk.name], { shape: shared ? [1, m * nb, 1, k] : [1, m, 1, nb * k] }).val;
  const w = new Float32Array(groups * o * k);
  for (let g = 0; g < groups; g++) for (let j = 0; j < o; j++) for (let i = 0; i < k; i++) w[(g * o + j) * k + i] = wd[(g * k + i) * o + j];
  const wn = c.b.f32(`${c.name}_weight`, [groups * o, 1, 1, k], w);
  const y4 = c.b.node(c.where, groups === 1 ? 'Conv2D' : 'GroupConv2D', `${c.name}_mm`, [x4.name, wn], groups === 1 ? {} : { group: groups }).val;
  const ymb = c.b.node(c.where, 'Reshape', `${c.name}_mbo`, [y4.name], { shape: [m, nb, o] }).val;
  const ybm = c.b.node(c.where, 'Transpose', `${c.name}_bmo`, [ymb.name], { perm: [1, 0, 2] }).val;
  return val(fromOnnxOrder(c, ybm, [...batch, m, o]));
}

/**
 * ReduceMean of an activation over any axes: the reduced axes moved last (ONNX order), the
 * rows [outer, inner] multiplied by a [1, inner] Dense of 1/inner, reshaped to the result.
 */
export function reduceMean(c: NodeCtx): Sym {
  const v0 = c.f32(0);
  const d = onnxDims(v0);
  const r = d.length;
  const raw = c.opset >= 18 && c.has(1) ? Array.from(c.const(1, 'axes').data, Number) : c.ints('axes', []);
  const axes = (raw.length ? raw : c.int('noop_with_empty_axes', 0) ? [] : d.map((_, i) => i)).map((a) => (a < 0 ? a + r : a));
  if (axes.some((a) => a < 0 || a >= r)) c.fail(`axes [${raw.join(',')}] out of range for rank ${r}`);
  const keep = c.int('keepdims', 1) !== 0;
  const outDims = keep ? d.map((x, i) => (axes.includes(i) ? 1 : x)) : d.filter((_, i) => !axes.includes(i));
  if (!axes.length) return reshapeTo(c, v0, d);
  const rest = d.map((_, i) => i).filter((i) => !axes.includes(i));
  const onnxV = inOnnxOrder(c, v0);
  const moved = c.b.node(c.where, 'Transpose', `${c.name}_move`, [onnxV.name], { perm: [...rest, ...axes] }).val;
  const outer = size(rest.map((i) => d[i])), inner = size(axes.map((i) => d[i]));
  const rows = c.b.node(c.where, 'Reshape', `${c.name}_rows`, [moved.name], { shape: [outer, inner] }).val;
  const w = c.b.f32(`${c.name}_mean`, [1, inner], new Float32Array(inner).fill(1 / inner));
  const m = c.b.node(c.where, 'Dense', `${c.name}_sum`, [rows.name, w]).val;
  return val(fromOnnxOrder(c, m, outDims.length ? outDims : [1]));
}

export const ND_HANDLERS: Record<string, Handler> = {
  Sigmoid: (c) => (c.only(), unaryOp('sigmoid')(c)),
  Neg: (c) => (c.only(), unaryOp('neg')(c)),
  Sqrt: (c) => (c.only(), unaryOp('sqrt')(c)),
  Floor: (c) => (c.only(), unaryOp('floor')(c)),
  LeakyRelu: (c) => (c.only('alpha'), unaryOp('leakyRelu', () => ({ alpha: c.float('alpha', 0.01) }))(c)),
  Clip(c) {
    c.only('min', 'max');
    const lo = c.opset >= 11 ? scalarInput(c, 1, 'min') : c.float('min', -F32_MAX);
    const hi = c.opset >= 11 ? scalarInput(c, 2, 'max') : c.float('max', F32_MAX);
    const [a, b] = [Math.max(lo ?? -F32_MAX, -F32_MAX), Math.min(hi ?? F32_MAX, F32_MAX)];
    if (a === 0 && b >= F32_MAX) return ((v) => val({ ...c.b.node(c.where, 'Relu', c.name, [v.name]).val, nchw: v.nchw }))(c.f32(0));
    // min > max: ONNX gives max everywhere (numpy.clip's order of operations).
    return unaryOp('clip', () => (a > b ? { alpha: b, beta: b } : { alpha: a, beta: b }))(c);
  },
  Sign(c) {
    c.only();
    return { k: 'sign', x: c.f32(0), onnx: true };
  },
  PRelu(c) {
    c.only();
    return broadcastArith(c, 'prelu');
  },
  Pad: pad,
  Concat: concat,
  Transpose: transpose,
  Squeeze(c) {
    c.only('axes');
    const v = c.val(0);
    return reshapeTo(c, v, squeezeDims(c, onnxDims(v), c.has(1) ? c.const(1, 'axes') : undefined));
  },
  Unsqueeze(c) {
    c.only('axes');
    const v = c.val(0);
    return reshapeTo(c, v, unsqueezeDims(c, onnxDims(v), c.has(1) ? c.const(1, 'axes') : undefined));
  },
  Shape(c) {
    c.only('start', 'end');
    const d = onnxDims(c.val(0));
    const r = d.length;
    const clamp = (x: number) => Math.min(Math.max(x < 0 ? x + r : x, 0), r);
    const out = d.slice(clamp(c.int('start', 0)), clamp(c.int('end', r)));
    const k: Const = { name: c.node.output[0], dims: [out.length], dtype: 7, data: out };
    return { k: 'const', c: k };
  },
  Softmax: softmax,
};

