// Storage order of imported values: a rank-4 ONNX value [N,C,H,W] is stored NHWC, any other
// rank in ONNX's own order; helpers that move values between the two with Transpose/Reshape.

import type { Const } from './proto.js';
import type { NodeCtx } from './node.js';
import type { Val } from './graph.js';

const NHWC = [0, 2, 3, 1];
const NCHW = [0, 3, 1, 2];
const size = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);

// A 2-D value may carry `nchw` (graph.ts): its features are in (h,w,c) order.
/** storage axis j holds ONNX axis perm[j]. */
export const storagePerm = (rank: number) => (rank === 4 ? NHWC : Array.from({ length: rank }, (_, i) => i));
/** The storage axis of ONNX axis a (negative counts from the end). */
export function storageAxis(c: NodeCtx, rank: number, a: number): number {
  const ax = a < 0 ? a + rank : a;
  if (ax < 0 || ax >= rank) c.fail(`axis ${a} is out of range for rank ${rank}`);
  return rank === 4 ? NHWC.indexOf(ax) : ax;
}

/** The ONNX shape of a value. */
export function onnxDims(v: Val): number[] {
  const s = v.type.shape;
  return s.length === 4 ? [s[0], s[3], s[1], s[2]] : [...s];
}

let seq = 0;
const tag = (c: NodeCtx, what: string) => `${c.name}_${what}${seq++}`;

export function transposeVal(c: NodeCtx, v: Val, perm: number[]): Val {
  if (perm.every((p, i) => p === i)) return v;
  // Moving only axes of extent 1 keeps the memory order: a reshape.
  const kept = perm.filter((p) => v.type.shape[p] !== 1);
  if (kept.every((p, i) => i === 0 || p > kept[i - 1])) return reshapeVal(c, v, perm.map((p) => v.type.shape[p]));
  return c.b.node(c.where, 'Transpose', tag(c, 't'), [v.name], { perm }).val;
}
export function reshapeVal(c: NodeCtx, v: Val, shape: number[]): Val {
  if (shape.join() === v.type.shape.join() && !v.nchw) return { name: v.name, type: v.type };
  if (v.type.dtype !== 'f32') c.unsupported('reshaping a ±1 tensor is not supported');
  return c.b.node(c.where, 'Reshape', tag(c, 'r'), [v.name], { shape }).val;
}

/** v with its memory in ONNX order (rank 4: NCHW; a flattened `nchw` value: (c,h,w)). */
export function inOnnxOrder(c: NodeCtx, v: Val): Val {
  if (v.type.shape.length === 4) return transposeVal(c, v, NCHW);
  if (v.nchw) {
    const [ch, h, w] = v.nchw;
    const n = v.type.shape[0];
    const t = transposeVal(c, reshapeVal(c, { name: v.name, type: v.type }, [n, h, w, ch]), NCHW);
    return reshapeVal(c, t, [n, ch * h * w]);
  }
  return v;
}
/** A value whose memory holds ONNX shape `dims` in ONNX order, in storage order. */
export function fromOnnxOrder(c: NodeCtx, v: Val, dims: number[]): Val {
  const r = reshapeVal(c, v, dims);
  return dims.length === 4 ? transposeVal(c, r, NHWC) : r;
}

/** A constant broadcast to rank r (leading 1s), in storage order, as f32. */
export function constToStorage(c: NodeCtx, k: Const, r: number): { dims: number[]; data: Float32Array } {
  if (k.dims.length > r) c.unsupported(`constant "${k.name}" [${k.dims.join(',')}] has a higher rank than the activation (${r})`);
  const dims = [...new Array(r - k.dims.length).fill(1), ...k.dims];
  const data = k.data instanceof Float32Array ? k.data : Float32Array.from(k.data);
  if (r !== 4) return { dims, data };
  const [n, ch, h, w] = dims;
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++)
    for (let cc = 0; cc < ch; cc++)
      for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) out[((b * h + i) * w + j) * ch + cc] = data[((b * ch + cc) * h + i) * w + j];
  return { dims: [n, h, w, ch], data: out };
}

/** An activation lifted to ONNX rank r (leading 1s), in storage order. */
export function liftVal(c: NodeCtx, v: Val, r: number): Val {
  const d = onnxDims(v);
  if (d.length === r && !v.nchw) return v;
  const dims = [...new Array(r - d.length).fill(1), ...d];
  return fromOnnxOrder(c, inOnnxOrder(c, v), dims);
}

export { size };
