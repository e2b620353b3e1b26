// The WASM op layer: one `prepare` per op in src/ops/spec.ts (RUNTIME_OPS), run once at load (attributes,
// weight re-layout, thresholds) returning the closure that runs one kernel per inference over fixed pointers.

import type { XnnNode } from '../format/xnn.js';
import { wordsPerRow } from '../ops/bits.js';
import { OPS, type OpName, type ResolvedAttrs, type TensorType, resolveAttrs } from '../ops/spec.js';
import type { ConvGeometry, OutputTransform, PopcountStrategy, XnorKernels } from '../wasm/kernels.js';
import type { RangeKernel } from '../wasm/pool.js';
import { foldSignThresholds } from './thresholds.js';
import { type IntegerGrid, integerGrid } from './int-stem.js';
import type { Step } from './fuse.js';

export interface PrepareContext {
  k: XnorKernels;
  step: Step;
  node: XnnNode;
  attrs: ResolvedAttrs;
  /** Pointer of input i (arena value, or a constant copied into memory once). */
  input(i: number): number;
  inType(i: number): TensorType;
  output: number;
  outType: TensorType;
  /** Constant tensors from the model file. */
  f32(name: string): Float32Array;
  b1(name: string): Uint8Array;
  /** Reserves shared scratch; read `scratch()` only inside the run closure. */
  needScratch(bytes: number): void;
  scratch(): number;
  /** Threads the backend runs on (1 when `parallel` is absent). */
  threads: number;
  /**
   * With threads > 1: a run of `entry` over [0, total) (its range unit: src/wasm/pool.ts
   * RANGE_KERNELS) split across the threads, after `before` on the calling thread.
   * `args` (read once, when scratch is placed) are the kernel's arguments after the range and
   * the thread index.
   */
  parallel?(entry: RangeKernel, total: number, args: () => readonly number[], before?: () => void): Run;
  /** The popcount strategy chosen at load for a binary conv of this geometry (absent: the global one). */
  popcountFor?(g: ConvGeometry): PopcountStrategy;
  /** BwnConv2D's kernel (WasmBackendOptions.bwnKernel; default 'table'). */
  bwnKernel?: BwnKernel;
  /** Registers a binary conv's params (the backend may re-choose its strategy after warm-up). */
  binaryConv?(p: number, g: ConvGeometry): void;
}

/**
 * BwnConv2D's kernel: 'table' (assembly/float/bwn.ts, sign-split sums; within the float
 * tolerance) or 'float' (the weights expanded to ±mul for fconv2d, as before it).
 */
export type BwnKernel = 'table' | 'float';

type Run = () => void;
type Prepare = (c: PrepareContext) => Run;

const elements = (t: TensorType) => t.shape.reduce((a, b) => a * b, 1);
const rowsOf = (t: TensorType) => elements(t) / t.shape[t.shape.length - 1];
const lastDim = (t: TensorType) => t.shape[t.shape.length - 1];

function geometry(c: PrepareContext, kh: number, kw: number, dilated: boolean, extra: Partial<ConvGeometry> = {}): ConvGeometry {
  // A 2-D [N, F] input (InputScale of a dense layer) is [N, 1, 1, F] in memory.
  const s = c.inType(0).shape;
  const [n, h, w, ch] = s.length === 2 ? [s[0], 1, 1, s[1]] : s;
  const a = c.attrs;
  return {
    n, h, w, c: ch, o: c.outType.shape[3], kh, kw,
    strides: a.ints('strides') as [number, number],
    pads: a.ints('pads') as [number, number, number, number],
    dilations: dilated ? (a.ints('dilations') as [number, number]) : [1, 1],
    ...extra,
  };
}

function convGeometry(c: PrepareContext, extra: Partial<ConvGeometry> = {}): ConvGeometry {
  const ws = c.inType(1).shape;
  return geometry(c, ws[1], ws[2], true, extra);
}

/** Output rows N·OH and pixels N·OH·OW of an NHWC output. */
const rows = (t: TensorType) => t.shape[0] * t.shape[1];
const pixels = (t: TensorType) => rows(t) * t.shape[2];

/**
 * Below this much work (bit-words for binary convs, MACs for float convs, floats read for the
 * glue ops) a step stays on one thread: handing it out would cost about as much as it saves
 * (what these amounts take: bench/results/code-notes.md).
 */
export const MIN_SPLIT_WORK = { bconv: 64 * 1024, fconv: 512 * 1024, glue: 64 * 1024 };

/** A glue op's run split over the threads when `work` (float elements it reads) is large enough. */
function splitGlue(c: PrepareContext, work: number, entry: RangeKernel, total: number, args: readonly number[]): Run | null {
  return c.parallel && work >= MIN_SPLIT_WORK.glue ? c.parallel(entry, total, () => args) : null;
}

const wantsRelu = (c: PrepareContext) => c.attrs.str('activation') === 'relu' || !!c.step.relu;

/** A float conv's weights and optional bias as stored. */
function convWeights(c: PrepareContext): { w: Float32Array; bias: Float32Array | null } {
  const biasName = c.node.inputs[2];
  return { w: c.f32(c.node.inputs[1]), bias: biasName ? c.f32(biasName) : null };
}

/**
 * Runs `prepare`, which copies a layer's weights as stored into memory and re-lays them out
 * into memory allocated before; the copies are dead afterwards, so their bytes are handed back
 * (the next layer's copies reuse them instead of growing memory by the whole model again).
 */
function withRawWeights(k: XnorKernels, prepare: () => void): void {
  const mark = k.mark();
  try {
    prepare();
  } finally {
    k.release(mark);
  }
}

/** The run of a prepared float conv (Conv2D, BwnConv2D); `weights` = O·KH·KW·C. */
function fconvRun(c: PrepareContext, p: number, wp: number, b: number, weights: number): Run {
  const { k } = c;
  c.needScratch(k.exports.fconvScratchBytes(p));
  const x = c.input(0);
  if (c.parallel && pixels(c.outType) * weights >= MIN_SPLIT_WORK.fconv)
    return c.parallel('fconv2dRange', rows(c.outType), () => [p, x, wp, b, c.output, c.scratch()], () => k.exports.fconvPad(p, x, c.scratch()));
  return () => k.exports.fconv2d(p, x, wp, b, c.output, c.scratch());
}

/** The N-D glue ops of imported graphs (assembly/float/nd.ts). */
const ND_OPS = {
  Unary(c) {
    const fn = OPS.Unary.attrs.fn.values.indexOf(c.attrs.str('fn') as never);
    const [a, b] = [c.attrs.float('alpha'), c.attrs.float('beta')];
    const n = elements(c.outType);
    const x = c.input(0);
    return () => c.k.exports.funary(x, c.output, n, fn, a, b);
  },
  Arith(c) {
    const fn = 1 + ['add', 'sub', 'mul', 'div', 'prelu', 'max', 'min'].indexOf(c.attrs.str('fn'));
    const out = c.outType.shape;
    const bcast = (t: TensorType) => rowMajorStrides(t.shape).map((s, d) => (t.shape[d] === 1 && out[d] !== 1 ? 0 : s));
    const p = c.k.putI32([out.length, ...out, ...bcast(c.inType(0)), ...bcast(c.inType(1))]);
    const [a, b] = [c.input(0), c.input(1)];
    return () => c.k.exports.farith(p, a, b, c.output, fn);
  },
  Transpose(c) {
    const perm = c.attrs.ints('perm');
    const st = rowMajorStrides(c.inType(0).shape);
    const out = c.outType.shape;
    const p = c.k.putI32([out.length, ...out, ...perm.map((q) => st[q]), ...out.map(() => 0)]);
    const x = c.input(0);
    return () => c.k.exports.farith(p, x, x, c.output, 0);
  },
  Reshape(c) {
    const bytes = 4 * elements(c.outType);
    const x = c.input(0);
    return () => c.k.u8().copyWithin(c.output, x, x + bytes);
  },
  Pad(c) {
    const pads = c.attrs.ints('pads');
    const ins = c.inType(0).shape;
    const p = c.k.putI32([ins.length, ...c.outType.shape, ...ins, ...pads.slice(0, ins.length)]);
    const mode = ['constant', 'reflect', 'edge'].indexOf(c.attrs.str('mode'));
    const v = c.attrs.float('value');
    const x = c.input(0);
    return () => c.k.exports.fpad(p, x, c.output, mode, v);
  },
  Concat(c) {
    const axis = c.attrs.int('axis');
    const out = c.outType.shape;
    const outer = out.slice(0, axis).reduce((p, d) => p * d, 1);
    const tail = out.slice(axis + 1).reduce((p, d) => p * d, 1);
    const parts: [number, number, number][] = [];
    let offset = 0;
    c.node.inputs.forEach((name, i) => {
      if (!name) return;
      const inner = c.inType(i).shape[axis] * tail;
      parts.push([c.input(i), inner, offset]);
      offset += inner;
    });
    return () => {
      for (const [x, inner, off] of parts) c.k.exports.fconcat(x, c.output, outer, inner, offset, off);
    };
  },
  GroupConv2D(c) {
    const { k } = c;
    const p = k.putConvParams(convGeometry(c, { relu: wantsRelu(c) }));
    const { w, bias } = convWeights(c);
    const wp = k.putF32(w);
    const b = bias ? k.putF32(bias) : 0;
    const g = c.attrs.int('group');
    const x = c.input(0);
    return () => k.exports.fgconv2d(p, x, wp, b, c.output, g);
  },
} satisfies Partial<Record<OpName, Prepare>>;

function rowMajorStrides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  for (let d = shape.length - 1, s = 1; d >= 0; d--) {
    st[d] = s;
    s *= shape[d];
  }
  return st;
}

/**
 * The exact integer stem (assembly/float/istem.ts) of a prepared float conv: per inference,
 * istemPad converts and checks the input; a refused input (not integers within grid.limit)
 * runs `floatRun` instead, which computes the same bits more slowly.
 */
function istemRun(c: PrepareContext, p: number, grid: IntegerGrid, b: number, floatRun: Run): Run {
  const { k } = c;
  const e = k.exports;
  const wi = k.alloc(e.istemWeightsBytes(p));
  withRawWeights(k, () => e.istemPrepareWeights(p, k.putI32(grid.q), wi));
  const gp = k.putF32(grid.g);
  c.needScratch(e.istemScratchBytes(p));
  const x = c.input(0);
  const limit = grid.limit;
  c.step.kernel = 'integer stem';
  if (c.parallel && pixels(c.outType) * grid.q.length >= MIN_SPLIT_WORK.fconv) {
    const job = c.parallel('istemRange', rows(c.outType), () => [p, wi, gp, b, c.output, c.scratch()]);
    return () => (e.istemPad(p, x, c.scratch(), limit) ? job() : floatRun());
  }
  return () => void (e.istem2d(p, x, wi, gp, b, c.output, c.scratch(), limit) || floatRun());
}

export const RUNTIME_OPS: Record<OpName, Prepare> = {
  ...ND_OPS,
  Conv2D(c) {
    const { k } = c;
    const g = convGeometry(c, { relu: wantsRelu(c) });
    const p = k.putConvParams(g);
    const { w, bias } = convWeights(c);
    const wp = k.alloc(k.exports.fconvWeightsBytes(p));
    withRawWeights(k, () => k.exports.fconvPrepareWeights(p, k.putF32(w), wp));
    const b = bias ? k.putF32(bias) : 0;
    const floatRun = fconvRun(c, p, wp, b, w.length);
    // the .xnn says the weights are on an integer grid; checked here all the same (DW = 1 only)
    // (a kernels build from before the integer stem has no istem2d: a caller's own `source`)
    const grid = c.attrs.bool('integerStem') && g.dilations![1] === 1 && 'istem2d' in k.exports ? integerGrid(w, g.o!) : null;
    return grid ? istemRun(c, p, grid, b, floatRun) : floatRun;
  },

  BinConv2D(c) {
    const { k, step } = c;
    const packed = !!step.sign;
    const g = convGeometry(c, {
      padMode: c.attrs.str('padValue') as ConvGeometry['padMode'],
      relu: !packed && wantsRelu(c),
      packed,
    });
    g.popcount = c.popcountFor?.(g);
    if (g.popcount) step.kernel = g.popcount;
    const p = k.putConvParams(g);
    c.binaryConv?.(p, g);
    const wp = k.alloc(k.exports.bconvWeightsBytes(p));
    const corr = k.alloc(k.exports.bconvCorrectionBytes(p));
    withRawWeights(k, () => {
      const wRaw = k.putBytes(c.b1(c.node.inputs[1]));
      k.exports.bconvPrepareWeights(p, wRaw, wp);
      if (g.padMode === 'zero') k.exports.bconvPrepareCorrection(p, wRaw, corr);
    });
    const mulT = c.f32(c.node.inputs[2]);
    const biasT = c.f32(c.node.inputs[3]);
    const transform: OutputTransform = { corr };
    if (packed) {
      const o = g.o!;
      const n = g.kh * g.kw * g.c;
      const one = new Float32Array(o).fill(1);
      const t = foldSignThresholds(
        n, mulT, biasT, wantsRelu(c),
        step.sign!.scale ? c.f32(step.sign!.scale) : one,
        step.sign!.shift ? c.f32(step.sign!.shift) : new Float32Array(o),
      );
      // fuse() only proposes chains; non-finite parameters cannot be folded exactly.
      if (!t) throw new Error(`node "${c.node.name}": BatchNorm parameters are not finite`);
      transform.thr = k.putI32(t.thr);
      transform.dir = k.putI32(t.dir);
    } else {
      transform.mul = k.putF32(mulT);
      transform.bias = k.putF32(biasT);
      transform.kmap = c.node.inputs[4] ? c.input(4) : 0;
    }
    const tr = k.putOutputTransform(transform);
    const x = c.input(0);
    const total = pixels(c.outType);
    if (c.parallel && total * g.o! * g.kh * g.kw * Math.ceil(g.c / 64) >= MIN_SPLIT_WORK.bconv) {
      // thread t's tile popcounts follow thread 0's, at + t·bconvTileBytes
      c.needScratch(k.exports.bconvScratchBytes(p) + (c.threads - 1) * k.exports.bconvTileBytes(p));
      return c.parallel(
        'bconv2dRange', total,
        () => [p, x, wp, c.output, tr, c.scratch()],
        () => k.exports.bconvPad(p, x, c.scratch()),
      );
    }
    c.needScratch(k.exports.bconvScratchBytes(p));
    return () => k.exports.bconv2d(p, x, wp, c.output, tr, c.scratch());
  },

  BwnConv2D(c) {
    const { k } = c;
    const p = k.putConvParams(convGeometry(c, { relu: wantsRelu(c) }));
    const bits = () => k.putBytes(c.b1(c.node.inputs[1]));
    const mul = () => k.putF32(c.f32(c.node.inputs[2]));
    const b = k.putF32(c.f32(c.node.inputs[3]));
    const weights = c.inType(1).shape.reduce((a, d) => a * d, 1);
    if (c.bwnKernel === 'float') {
      const wp = k.alloc(k.exports.fconvWeightsBytes(p));
      withRawWeights(k, () => k.exports.bwnPrepareWeights(p, bits(), mul(), wp));
      return fconvRun(c, p, wp, b, weights);
    }
    const wp = k.alloc(k.exports.bwnWeightsBytes(p));
    withRawWeights(k, () => k.exports.bwnPrepare(p, bits(), mul(), wp));
    const x = c.input(0);
    if (c.parallel && pixels(c.outType) * weights >= MIN_SPLIT_WORK.fconv) {
      // thread t's tables follow thread 0's, at + t·bwnTableBytes
      c.needScratch(k.exports.bwnScratchBytes(p) + (c.threads - 1) * k.exports.bwnTableBytes(p));
      return c.parallel('bwnconv2dRange', rows(c.outType), () => [p, x, wp, b, c.output, c.scratch()], () => k.exports.fconvPad(p, x, c.scratch()));
    }
    c.needScratch(k.exports.bwnScratchBytes(p));
    return () => k.exports.bwnconv2d(p, x, wp, b, c.output, c.scratch());
  },

  Binarize(c) {
    const { k, step } = c;
    const t = c.inType(0);
    const rows = rowsOf(t);
    const ch = lastDim(t);
    const x = c.input(0);
    if (step.affine) {
      const s = k.putF32(c.f32(step.affine.scale));
      const sh = k.putF32(c.f32(step.affine.shift));
      return splitGlue(c, rows * ch, 'packAffineRange', rows, [x, c.output, ch, s, sh])
        ?? (() => k.exports.packAffine(x, c.output, rows, ch, s, sh));
    }
    return splitGlue(c, rows * ch, 'packRange', rows, [x, c.output, ch]) ?? (() => k.exports.pack(x, c.output, rows, ch));
  },

  InputScale(c) {
    const { k } = c;
    const [kh, kw] = c.attrs.ints('kernel');
    const p = k.putConvParams(geometry(c, kh, kw, true, { o: 1 }));
    c.needScratch(k.exports.kmapScratchBytes(p));
    const x = c.input(0);
    return () => k.exports.kmap(p, x, c.output, c.scratch());
  },

  Dense(c) {
    const { k } = c;
    const [n, kk] = c.inType(0).shape;
    const o = c.outType.shape[1];
    // blocked weights (one sequential stream): fdense's bits, faster from memory
    const w = k.alloc(k.exports.fdenseBlockedBytes(kk, o));
    withRawWeights(k, () => k.exports.fdensePrepareBlocked(k.putF32(c.f32(c.node.inputs[1])), w, kk, o));
    const b = c.node.inputs[2] ? k.putF32(c.f32(c.node.inputs[2])) : 0;
    const relu = wantsRelu(c) ? 1 : 0;
    const x = c.input(0);
    return splitGlue(c, n * kk * o, 'fdenseBlockedRange', o, [x, w, b, c.output, n, kk, o, relu])
      ?? (() => k.exports.fdenseBlocked(x, w, b, c.output, n, kk, o, relu));
  },

  BinDense(c) {
    const { k } = c;
    const [n, kk] = c.inType(0).shape;
    const o = c.outType.shape[1];
    const w = k.putBytes(c.b1(c.node.inputs[1]));
    const mul = k.putF32(c.f32(c.node.inputs[2]));
    const bias = k.putF32(c.f32(c.node.inputs[3]));
    const relu = wantsRelu(c) ? 1 : 0;
    const x = c.input(0);
    const kmap = c.node.inputs[4] ? c.input(4) : 0;
    return () => k.exports.bdense(x, w, c.output, n, o, kk, mul, bias, kmap, relu);
  },

  BwnDense(c) {
    const { k } = c;
    const [n, kk] = c.inType(0).shape;
    const o = c.outType.shape[1];
    // ±mul[o] expanded once; the file keeps the bits.
    const bits = c.b1(c.node.inputs[1]);
    const mulT = c.f32(c.node.inputs[2]);
    const rowBytes = wordsPerRow(kk) * 8;
    const w = new Float32Array(o * kk);
    for (let r = 0; r < o; r++)
      for (let i = 0; i < kk; i++) w[r * kk + i] = (bits[r * rowBytes + (i >> 3)] >> (i & 7)) & 1 ? -mulT[r] : mulT[r];
    const wp = k.putF32(w);
    const b = k.putF32(c.f32(c.node.inputs[3]));
    const relu = wantsRelu(c) ? 1 : 0;
    const x = c.input(0);
    return () => k.exports.fdense(x, wp, b, c.output, n, kk, o, relu);
  },

  BatchNorm(c) {
    const { k } = c;
    const t = c.inType(0);
    const s = k.putF32(c.f32(c.node.inputs[1]));
    const sh = k.putF32(c.f32(c.node.inputs[2]));
    const rows = rowsOf(t);
    const ch = lastDim(t);
    const relu = c.step.relu ? 1 : 0;
    const x = c.input(0);
    return splitGlue(c, rows * ch, 'scaleShiftRange', rows, [x, c.output, ch, s, sh, relu])
      ?? (() => k.exports.scaleShift(x, c.output, rows, ch, s, sh, relu));
  },

  Relu(c) {
    const n = elements(c.outType);
    const x = c.input(0);
    return () => c.k.exports.frelu(x, c.output, n);
  },

  Tanh(c) {
    const n = elements(c.outType);
    const x = c.input(0);
    return () => c.k.exports.ftanh(x, c.output, n);
  },

  MaxPool(c) {
    const { k } = c;
    const [kh, kw] = c.attrs.ints('kernel');
    const p = k.putConvParams(geometry(c, kh, kw, true));
    const x = c.input(0);
    if (c.inType(0).dtype === 'b1') return () => k.exports.bmaxpool(p, x, c.output);
    return splitGlue(c, elements(c.outType) * kh * kw, 'fmaxpoolRange', rows(c.outType), [p, x, c.output])
      ?? (() => k.exports.fmaxpool(p, x, c.output));
  },

  AvgPool(c) {
    const { k } = c;
    const [kh, kw] = c.attrs.ints('kernel');
    const p = k.putConvParams(geometry(c, kh, kw, false));
    const cip = c.attrs.bool('countIncludePad') ? 1 : 0;
    const x = c.input(0);
    return () => k.exports.favgpool(p, x, c.output, cip);
  },

  GlobalAvgPool(c) {
    const [n, h, w, ch] = c.inType(0).shape;
    const x = c.input(0);
    return () => c.k.exports.fglobalAvgPool(x, c.output, n, h * w, ch);
  },

  Add(c) {
    const n = elements(c.outType);
    const a = c.input(0);
    const b = c.input(1);
    return splitGlue(c, 2 * n, 'faddRange', n, [a, b, c.output]) ?? (() => c.k.exports.fadd(a, b, c.output, n));
  },

  Flatten(c) {
    // Same bytes, new shape: NHWC memory order is already the flattened order.
    const bytes = c.outType.dtype === 'f32' ? 4 * elements(c.outType) : rowsOf(c.outType) * wordsPerRow(lastDim(c.outType)) * 8;
    const x = c.input(0);
    return () => c.k.u8().copyWithin(c.output, x, x + bytes);
  },

  Softmax(c) {
    const t = c.outType;
    const x = c.input(0);
    return () => c.k.exports.fsoftmax(x, c.output, rowsOf(t), lastDim(t));
  },
};



export function attrsOf(node: XnnNode): ResolvedAttrs {
  return resolveAttrs(node.op, node.attrs);
}
