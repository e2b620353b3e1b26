// The reference implementation of every op in src/ops/spec.ts: plain loops over NHWC Float32Arrays (binary
// tensors as ±1 floats), obviously right rather than fast; the spec the WASM kernels are tested against.

import type { OpName, ResolvedAttrs, TensorType } from '../ops/spec.js';

export interface RefTensor {
  shape: number[];
  data: Float32Array;
}

const f = Math.fround;

export interface WindowParams {
  strides: number[];
  /** top, left, bottom, right */
  pads: number[];
  dilations?: number[];
}

/**
 * Raw convolution sum Σ x·w over the window, NHWC × OHWI, with out-of-range taps reading
 * `padValue`. Accumulates in float64; for ±1 data the result is an exact integer.
 */
export function conv2dSum(
  x: RefTensor,
  w: RefTensor,
  { strides, pads, dilations = [1, 1] }: WindowParams,
  padValue = 0,
  outShape?: number[],
): RefTensor {
  const [n, h, wd, c] = x.shape;
  const [o, kh, kw] = w.shape;
  const [sh, sw] = strides;
  const [pt, pl, pb, pr] = pads;
  const [dh, dw] = dilations;
  const oh = outShape?.[1] ?? Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const ow = outShape?.[2] ?? Math.floor((wd + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  const out = new Float32Array(n * oh * ow * o);
  const xd = x.data;
  const wd_ = w.data;
  for (let b = 0; b < n; b++)
    for (let y = 0; y < oh; y++)
      for (let xx = 0; xx < ow; xx++)
        for (let oc = 0; oc < o; oc++) {
          let acc = 0;
          for (let i = 0; i < kh; i++) {
            const iy = y * sh - pt + i * dh;
            for (let j = 0; j < kw; j++) {
              const ix = xx * sw - pl + j * dw;
              const wBase = ((oc * kh + i) * kw + j) * c;
              if (iy >= 0 && iy < h && ix >= 0 && ix < wd) {
                const xBase = ((b * h + iy) * wd + ix) * c;
                for (let ch = 0; ch < c; ch++) acc += xd[xBase + ch] * wd_[wBase + ch];
              } else if (padValue !== 0) {
                for (let ch = 0; ch < c; ch++) acc += padValue * wd_[wBase + ch];
              }
            }
          }
          out[((b * oh + y) * ow + xx) * o + oc] = acc;
        }
  return { shape: [n, oh, ow, o], data: out };
}

const relu = (a: ResolvedAttrs, v: number) => (a.str('activation') === 'relu' && v < 0 ? 0 : v);

function window(a: ResolvedAttrs, dilated: boolean): WindowParams {
  return { strides: a.ints('strides'), pads: a.ints('pads'), dilations: dilated ? a.ints('dilations') : [1, 1] };
}

function poolEach(
  x: RefTensor,
  out: TensorType,
  a: ResolvedAttrs,
  reduce: (taps: number[], windowSize: number) => number,
  dilated = false,
): Float32Array {
  const [, h, wd, c] = x.shape;
  const [n, oh, ow] = out.shape;
  const [kh, kw] = a.ints('kernel');
  const [sh, sw] = a.ints('strides');
  const [pt, pl] = a.ints('pads');
  const [dh, dw] = dilated ? a.ints('dilations') : [1, 1];
  const data = new Float32Array(n * oh * ow * c);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < oh; y++)
      for (let xx = 0; xx < ow; xx++)
        for (let ch = 0; ch < c; ch++) {
          const taps: number[] = [];
          for (let i = 0; i < kh; i++)
            for (let j = 0; j < kw; j++) {
              const iy = y * sh - pt + i * dh;
              const ix = xx * sw - pl + j * dw;
              if (iy >= 0 && iy < h && ix >= 0 && ix < wd) taps.push(x.data[((b * h + iy) * wd + ix) * c + ch]);
            }
          data[((b * oh + y) * ow + xx) * c + ch] = reduce(taps, kh * kw);
        }
  return data;
}

function dense(x: RefTensor, w: RefTensor): Float64Array {
  const [n, k] = x.shape;
  const o = w.shape[0];
  const out = new Float64Array(n * o);
  for (let b = 0; b < n; b++)
    for (let oc = 0; oc < o; oc++) {
      let acc = 0;
      for (let i = 0; i < k; i++) acc += x.data[b * k + i] * w.data[oc * k + i];
      out[b * o + oc] = acc;
    }
  return out;
}

type RefOp = (ins: (RefTensor | undefined)[], a: ResolvedAttrs, out: TensorType) => Float32Array;

const map = (x: RefTensor, fn: (v: number, i: number) => number) => Float32Array.from(x.data, fn);

const PAD_VALUE = { plus: 1, minus: -1, zero: 0 } as const;

export const REF_OPS: Record<OpName, RefOp> = {
  Conv2D([x, w, bias], a, out) {
    const s = conv2dSum(x!, w!, window(a, true), 0, out.shape);
    const o = out.shape[3];
    return map(s, (v, i) => relu(a, f(f(v) + (bias ? bias.data[i % o] : 0))));
  },
  BinConv2D([x, w, mul, bias, kmap], a, out) {
    const pad = PAD_VALUE[a.str('padValue') as keyof typeof PAD_VALUE];
    const s = conv2dSum(x!, w!, window(a, true), pad, out.shape);
    const o = out.shape[3];
    return map(s, (dot, i) => {
      let y = f(mul!.data[i % o] * dot);
      if (kmap) y = f(y * kmap.data[Math.floor(i / o)]);
      return relu(a, f(y + bias!.data[i % o]));
    });
  },
  BwnConv2D([x, w, mul, bias], a, out) {
    const s = conv2dSum(x!, w!, window(a, true), 0, out.shape);
    const o = out.shape[3];
    return map(s, (v, i) => relu(a, f(f(mul!.data[i % o] * f(v)) + bias!.data[i % o])));
  },
  Binarize: ([x]) => map(x!, (v) => (v >= 0 ? 1 : -1)),
  InputScale([x], a, out) {
    // A 2-D [N, F] input is the 4-D rule on [N, 1, 1, F] (spec.ts).
    const [n, h, wd, c] = x!.shape.length === 2 ? [x!.shape[0], 1, 1, x!.shape[1]] : x!.shape;
    const mean = new Float32Array(n * h * wd);
    for (let p = 0; p < mean.length; p++) {
      let acc = 0;
      for (let ch = 0; ch < c; ch++) acc += Math.abs(x!.data[p * c + ch]);
      mean[p] = acc / c;
    }
    const [kh, kw] = a.ints('kernel');
    const box = { shape: [1, kh, kw, 1], data: new Float32Array(kh * kw).fill(1 / (kh * kw)) };
    return conv2dSum({ shape: [n, h, wd, 1], data: mean }, box, window(a, true), 0, out.shape).data;
  },
  Dense([x, w, bias], a, out) {
    const s = dense(x!, w!);
    const o = out.shape[1];
    return Float32Array.from(s, (v, i) => relu(a, f(f(v) + (bias ? bias.data[i % o] : 0))));
  },
  BinDense([x, w, mul, bias, kmap], a, out) {
    const s = dense(x!, w!);
    const o = out.shape[1];
    return Float32Array.from(s, (dot, i) => {
      let y = f(mul!.data[i % o] * dot);
      if (kmap) y = f(y * kmap.data[Math.floor(i / o)]);
      return relu(a, f(y + bias!.data[i % o]));
    });
  },
  BwnDense([x, w, mul, bias], a, out) {
    const s = dense(x!, w!);
    const o = out.shape[1];
    return Float32Array.from(s, (v, i) => relu(a, f(f(mul!.data[i % o] * f(v)) + bias!.data[i % o])));
  },
  BatchNorm([x, scale, shift]) {
    const c = x!.shape[x!.shape.length - 1];
    return map(x!, (v, i) => f(f(v * scale!.data[i % c]) + shift!.data[i % c]));
  },
  Relu: ([x]) => map(x!, (v) => (v < 0 ? 0 : v)),
  Tanh: ([x]) => map(x!, (v) => Math.tanh(v)),
  MaxPool: ([x], a, out) => poolEach(x!, out, a, (t) => Math.max(...t), true),
  AvgPool: ([x], a, out) =>
    poolEach(x!, out, a, (t, size) => t.reduce((p, v) => p + v, 0) / (a.bool('countIncludePad') ? size : t.length)),
  GlobalAvgPool([x]) {
    const [n, h, w, c] = x!.shape;
    const out = new Float32Array(n * c);
    for (let b = 0; b < n; b++)
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let p = 0; p < h * w; p++) acc += x!.data[(b * h * w + p) * c + ch];
        out[b * c + ch] = acc / (h * w);
      }
    return out;
  },
  Add: ([a, b]) => map(a!, (v, i) => f(v + b!.data[i])),
  Flatten: ([x]) => x!.data.slice(),
  Softmax([x]) {
    const c = x!.shape[x!.shape.length - 1];
    const out = new Float32Array(x!.data.length);
    for (let r = 0; r < out.length; r += c) {
      const row = x!.data.subarray(r, r + c);
      const m = Math.max(...row);
      let sum = 0;
      for (let i = 0; i < c; i++) sum += Math.exp(row[i] - m);
      for (let i = 0; i < c; i++) out[r + i] = Math.exp(row[i] - m) / sum;
    }
    return out;
  },
  Unary([x], a) {
    // The kernel takes alpha and beta as f32.
    const [lo, hi] = [f(a.float('alpha')), f(a.float('beta'))];
    const fn: Record<string, (v: number) => number> = {
      sigmoid: (v) => 1 / (1 + Math.exp(-v)),
      sign: (v) => (v > 0 ? 1 : v < 0 ? -1 : 0),
      abs: Math.abs,
      neg: (v) => -v,
      leakyRelu: (v) => (v < 0 ? f(lo * v) : v),
      clip: (v) => Math.min(Math.max(v, lo), hi),
      floor: Math.floor,
      sqrt: Math.sqrt,
    };
    return map(x!, fn[a.str('fn')]);
  },
  Arith([a, b], at, out) {
    const fns: Record<string, (p: number, q: number) => number> = {
      add: (p, q) => p + q,
      sub: (p, q) => p - q,
      mul: (p, q) => p * q,
      div: (p, q) => p / q,
      prelu: (p, q) => (p < 0 ? p * q : p),
      max: Math.max,
      min: Math.min,
    };
    const fn = fns[at.str('fn')];
    const at_ = (t: RefTensor, idx: number[]) => t.data[flatIndex(t.shape, idx.map((v, d) => (t.shape[d] === 1 ? 0 : v)))];
    return Float32Array.from({ length: size(out.shape) }, (_, i) => {
      const idx = unflat(out.shape, i);
      return f(fn(at_(a!, idx), at_(b!, idx)));
    });
  },
  Transpose([x], a, out) {
    const perm = a.ints('perm');
    return Float32Array.from({ length: size(out.shape) }, (_, i) => {
      const idx = unflat(out.shape, i);
      const src: number[] = [];
      perm.forEach((p, j) => (src[p] = idx[j]));
      return x!.data[flatIndex(x!.shape, src)];
    });
  },
  Reshape: ([x]) => x!.data.slice(),
  Pad([x], a, out) {
    const pads = a.ints('pads');
    const mode = a.str('mode');
    const r = x!.shape.length;
    return Float32Array.from({ length: size(out.shape) }, (_, i) => {
      const src = unflat(out.shape, i).map((v, d) => v - pads[d]);
      const n = x!.shape;
      if (src.every((v, d) => v >= 0 && v < n[d])) return x!.data[flatIndex(n, src)];
      if (mode === 'constant') return a.float('value');
      const fixed = src.map((v, d) => (v >= 0 && v < n[d] ? v : mode === 'edge' ? Math.min(Math.max(v, 0), n[d] - 1) : v < 0 ? -v : 2 * (n[d] - 1) - v));
      return x!.data[flatIndex(n.slice(0, r), fixed)];
    });
  },
  Concat(ins, a, out) {
    const axis = a.int('axis');
    const xs = ins.filter((t): t is RefTensor => !!t);
    return Float32Array.from({ length: size(out.shape) }, (_, i) => {
      const idx = unflat(out.shape, i);
      let k = idx[axis];
      for (const t of xs) {
        if (k < t.shape[axis]) return t.data[flatIndex(t.shape, idx.map((v, d) => (d === axis ? k : v)))];
        k -= t.shape[axis];
      }
      throw new Error('unreachable');
    });
  },
  GroupConv2D([x, w, bias], a, out) {
    const g = a.int('group');
    const [n, h, wd, c] = x!.shape;
    const [o, kh, kw, cg] = w!.shape;
    const og = o / g;
    const res = new Float32Array(size(out.shape));
    // Each group is a plain conv over its channel slice (conv2dSum), written to its outputs.
    for (let gi = 0; gi < g; gi++) {
      const xs = new Float32Array(n * h * wd * cg);
      for (let p = 0; p < n * h * wd; p++) for (let ci = 0; ci < cg; ci++) xs[p * cg + ci] = x!.data[p * c + gi * cg + ci];
      const ws = { shape: [og, kh, kw, cg], data: w!.data.slice(gi * og * kh * kw * cg, (gi + 1) * og * kh * kw * cg) };
      const s = conv2dSum({ shape: [n, h, wd, cg], data: xs }, ws, window(a, true), 0, out.shape);
      for (let p = 0; p < s.data.length / og; p++)
        for (let oc = 0; oc < og; oc++) {
          const oi = gi * og + oc;
          res[p * o + oi] = relu(a, f(f(s.data[p * og + oc]) + (bias ? bias.data[oi] : 0)));
        }
    }
    return res;
  },
};

function size(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}
/** Row-major coordinates of flat index i. */
function unflat(shape: readonly number[], i: number): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}
function flatIndex(shape: readonly number[], idx: readonly number[]): number {
  let k = 0;
  for (let d = 0; d < shape.length; d++) k = k * shape[d] + idx[d];
  return k;
}
