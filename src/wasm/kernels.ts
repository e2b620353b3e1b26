// Typed wrapper over xnor.wasm's exports (names match the WASM functions exactly; layouts in
// docs/KERNELS.md) plus a tiny bump allocator over linear memory. JS owns the memory plan:
// everything lives above heapBase(); memory.grow detaches old views, so views are handed out
// fresh (`f32()`, `u8()`, ...) and must not be cached across allocations.
import { loadWasm, type LoadOptions } from './load.js';

type Ptr = number;

/** The raw exports. Pointers are byte offsets into `memory`; 0 means "absent" where allowed. */
export interface XnorExports {
  memory: WebAssembly.Memory;
  heapBase(): Ptr;
  setPopcountMode(mode: number): void;
  getPopcountMode(): number;
  xorPopcountSum(a: Ptr, b: Ptr, words: number, reps: number, strategy: number): bigint;
  pack(x: Ptr, out: Ptr, rows: number, C: number): void;
  packThreshold(x: Ptr, out: Ptr, rows: number, C: number, thr: Ptr, dir: Ptr): void;
  packAffine(x: Ptr, out: Ptr, rows: number, C: number, scale: Ptr, shift: Ptr): void;
  bconvWeightsBytes(p: Ptr): number;
  bconvPrepareWeights(p: Ptr, wPacked: Ptr, out: Ptr): void;
  bconvScratchBytes(p: Ptr): number;
  bconvCorrectionBytes(p: Ptr): number;
  bconvPrepareCorrection(p: Ptr, wPacked: Ptr, corr: Ptr): void;
  bconv2d(p: Ptr, x: Ptr, w: Ptr, out: Ptr, mul: Ptr, bias: Ptr, kmap: Ptr, thr: Ptr, dir: Ptr, corr: Ptr, scratch: Ptr): void;
  /** bconv2d = bconvPad + bconv2dRange over all N·OH·OW output pixels (thread 0). */
  bconvPad(p: Ptr, x: Ptr, scratch: Ptr): void;
  bconv2dRange(px0: number, px1: number, thread: number, p: Ptr, x: Ptr, w: Ptr, out: Ptr, mul: Ptr, bias: Ptr, kmap: Ptr,
    thr: Ptr, dir: Ptr, corr: Ptr, scratch: Ptr): void;
  /** Scratch bytes of one more thread's tile (bconvScratchBytes holds thread 0's). */
  bconvTileBytes(p: Ptr): number;
  bdense(x: Ptr, w: Ptr, y: Ptr, N: number, O: number, K: number, mul: Ptr, bias: Ptr, kmap: Ptr, relu: number): void;
  bmaxpool(p: Ptr, x: Ptr, out: Ptr): void;
  fconvWeightsBytes(p: Ptr): number;
  fconvScratchBytes(p: Ptr): number;
  fconvPrepareWeights(p: Ptr, w: Ptr, out: Ptr): void;
  bwnPrepareWeights(p: Ptr, wPacked: Ptr, mul: Ptr, out: Ptr): void;
  fconv2d(p: Ptr, x: Ptr, w: Ptr, bias: Ptr, out: Ptr, scratch: Ptr): void;
  /** fconv2d = fconvPad + fconv2dRange over all N·OH output rows. */
  fconvPad(p: Ptr, x: Ptr, scratch: Ptr): void;
  fconv2dRange(y0: number, y1: number, thread: number, p: Ptr, x: Ptr, w: Ptr, bias: Ptr, out: Ptr, scratch: Ptr): void;
  fdense(x: Ptr, w: Ptr, b: Ptr, y: Ptr, N: number, K: number, O: number, relu: number): void;
  /** Outputs [o0, o1) of every row; any split equals fdense. */
  fdenseRange(o0: number, o1: number, thread: number, x: Ptr, w: Ptr, b: Ptr, y: Ptr, N: number, K: number, O: number, relu: number): void;
  /** 1 in the relaxed-SIMD builds (FMA float convs and dense), 0 in the plain ones. */
  relaxedSimd(): number;
  fmaxpool(p: Ptr, x: Ptr, y: Ptr): void;
  /** Output rows [r0, r1) of the flattened [N, OH]; any split equals fmaxpool. */
  fmaxpoolRange(r0: number, r1: number, thread: number, p: Ptr, x: Ptr, y: Ptr): void;
  /** Rows [r0, r1) of pack / packAffine / scaleShift, elements [r0, r1) of fadd (kernel threads). */
  packRange(r0: number, r1: number, thread: number, x: Ptr, out: Ptr, C: number): void;
  packAffineRange(r0: number, r1: number, thread: number, x: Ptr, out: Ptr, C: number, scale: Ptr, shift: Ptr): void;
  scaleShiftRange(r0: number, r1: number, thread: number, x: Ptr, y: Ptr, C: number, s: Ptr, t: Ptr, relu: number): void;
  faddRange(i0: number, i1: number, thread: number, a: Ptr, b: Ptr, y: Ptr): void;
  favgpool(p: Ptr, x: Ptr, y: Ptr, countIncludePad: number): void;
  fglobalAvgPool(x: Ptr, y: Ptr, N: number, HW: number, C: number): void;
  scaleShift(x: Ptr, y: Ptr, rows: number, C: number, s: Ptr, t: Ptr, relu: number): void;
  frelu(x: Ptr, y: Ptr, n: number): void;
  ftanh(x: Ptr, y: Ptr, n: number): void;
  fadd(a: Ptr, b: Ptr, y: Ptr, n: number): void;
  fsoftmax(x: Ptr, y: Ptr, rows: number, C: number): void;
  kmap(p: Ptr, x: Ptr, y: Ptr, scratch: Ptr): void;
  kmapScratchBytes(p: Ptr): number;
}

export const POPCOUNT = { scalar: 0, simd: 1 } as const;
export type PopcountStrategy = keyof typeof POPCOUNT;
export const PAD_MODE = { plus: 0, minus: 1, zero: 2 } as const;
export type PadMode = keyof typeof PAD_MODE;

/** Geometry of a conv/pool (assembly/params.ts). c = input channels, o = output channels. */
export interface ConvGeometry {
  n: number; h: number; w: number; c: number; o?: number;
  kh: number; kw: number;
  strides?: readonly [number, number];
  /** top, left, bottom, right */
  pads?: readonly [number, number, number, number];
  dilations?: readonly [number, number];
  padMode?: PadMode;
  relu?: boolean;
  /** Binary conv: packed output via integer thresholds. */
  packed?: boolean;
}

export const PARAMS_BYTES = 80;
const FLAG_RELU = 1;
const FLAG_PACKED = 2;
/** Bytes kept free after every allocation so v128 over-reads never leave the arena. */
export const ALLOC_SLACK = 16;

export function convOutSize(g: ConvGeometry): [number, number] {
  const [sh, sw] = g.strides ?? [1, 1];
  const [pt, pl, pb, pr] = g.pads ?? [0, 0, 0, 0];
  const [dh, dw] = g.dilations ?? [1, 1];
  return [
    Math.floor((g.h + pt + pb - dh * (g.kh - 1) - 1) / sh) + 1,
    Math.floor((g.w + pl + pr - dw * (g.kw - 1) - 1) / sw) + 1,
  ];
}

const PAGE = 65536;

export class XnorKernels {
  readonly exports: XnorExports;
  private top: Ptr;
  /** First byte JS may use. */
  readonly base: Ptr;

  constructor(instance: WebAssembly.Instance) {
    this.exports = instance.exports as unknown as XnorExports;
    this.base = this.exports.heapBase() >>> 0;
    this.top = this.base;
  }

  static async load(options?: LoadOptions): Promise<XnorKernels> {
    return new XnorKernels(await loadWasm(options));
  }

  get memory(): WebAssembly.Memory {
    return this.exports.memory;
  }

  /** Whether this is a relaxed-SIMD build (xnor.relaxed.wasm, xnor.mt.relaxed.wasm). */
  get relaxedSimd(): boolean {
    return this.exports.relaxedSimd() !== 0;
  }

  /** Bump-allocates `bytes` (aligned), growing memory if needed. Never freed individually. */
  alloc(bytes: number, align = 16): Ptr {
    const ptr = Math.ceil(this.top / align) * align;
    const end = ptr + Math.max(0, bytes) + ALLOC_SLACK;
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
    this.top = end;
    return ptr;
  }

  /** Current top; pass to `release` to free everything allocated after it. */
  mark(): Ptr {
    return this.top;
  }

  release(mark: Ptr): void {
    this.top = Math.max(this.base, mark);
  }

  // Fresh views (memory.grow detaches the previous ArrayBuffer).
  u8(): Uint8Array { return new Uint8Array(this.memory.buffer); }
  i32(): Int32Array { return new Int32Array(this.memory.buffer); }
  f32(): Float32Array { return new Float32Array(this.memory.buffer); }

  writeF32(ptr: Ptr, data: ArrayLike<number>): void { this.f32().set(data, ptr >>> 2); }
  writeI32(ptr: Ptr, data: ArrayLike<number>): void { this.i32().set(data, ptr >>> 2); }
  writeBytes(ptr: Ptr, data: Uint8Array): void { this.u8().set(data, ptr); }
  readF32(ptr: Ptr, n: number): Float32Array { return this.f32().slice(ptr >>> 2, (ptr >>> 2) + n); }
  readI32(ptr: Ptr, n: number): Int32Array { return this.i32().slice(ptr >>> 2, (ptr >>> 2) + n); }
  readBytes(ptr: Ptr, n: number): Uint8Array { return this.u8().slice(ptr, ptr + n); }

  /** alloc + copy in. */
  putF32(data: ArrayLike<number>): Ptr { const p = this.alloc(data.length * 4); this.writeF32(p, data); return p; }
  putI32(data: ArrayLike<number>): Ptr { const p = this.alloc(data.length * 4); this.writeI32(p, data); return p; }
  putBytes(data: Uint8Array): Ptr { const p = this.alloc(data.length); this.writeBytes(p, data); return p; }

  /** Writes the 80-byte params struct (assembly/params.ts) at `ptr`; returns [OH, OW]. */
  writeConvParams(ptr: Ptr, g: ConvGeometry): [number, number] {
    const [sh, sw] = g.strides ?? [1, 1];
    const [pt, pl, pb, pr] = g.pads ?? [0, 0, 0, 0];
    const [dh, dw] = g.dilations ?? [1, 1];
    const [oh, ow] = convOutSize(g);
    const flags = (g.relu ? FLAG_RELU : 0) | (g.packed ? FLAG_PACKED : 0);
    this.writeI32(ptr, [g.n, g.h, g.w, g.c, g.o ?? 0, g.kh, g.kw, sh, sw, dh, dw, pt, pl, pb, pr, oh, ow,
      PAD_MODE[g.padMode ?? 'zero'], flags, 0]);
    return [oh, ow];
  }

  /** alloc + writeConvParams. */
  putConvParams(g: ConvGeometry): Ptr {
    const p = this.alloc(PARAMS_BYTES);
    this.writeConvParams(p, g);
    return p;
  }

  setPopcount(s: PopcountStrategy): void { this.exports.setPopcountMode(POPCOUNT[s]); }
  getPopcount(): PopcountStrategy { return this.exports.getPopcountMode() === POPCOUNT.simd ? 'simd' : 'scalar'; }
}

export interface PopcountChoice {
  strategy: PopcountStrategy;
  /** Fastest milliseconds of one pass of the calibration block per strategy (absent when forced). */
  ms?: Record<PopcountStrategy, number>;
  /** Median over the rounds of simd time / scalar time (absent when forced): below 1 picks simd. */
  ratio?: number;
}

/**
 * Runs the calibration block twice (both strategies): V8 compiles bconv2d lazily at its first
 * call and optimises it in the background once it has run, so a choosePopcount some ms later
 * (loadModel: after the download) races optimised code with no warm-up of its own.
 */
export function warmPopcount(k: XnorKernels): void {
  const mark = k.mark();
  const mode = k.getPopcount();
  try {
    const pass = calibrationBlock(k);
    for (const s of ['scalar', 'simd'] as const) {
      k.setPopcount(s);
      pass();
    }
  } finally {
    k.setPopcount(mode);
    k.release(mark);
  }
}

/**
 * Times both popcount strategies on a representative block and keeps the faster; `force` skips
 * the timing. The block is two 3x3 pad-1 binary convs with packed output, one per loop shape of
 * the kernel: c64 14x14 (the specialised c<=64 path) and c256 7x7 (the general path, with 73 KB
 * of weights: more than L1, as in the deep layers). Memory used is released.
 *
 * A few ms, once per process, and still a fair race:
 *  - it races optimised code: V8 compiles bconv2d lazily at its first call and optimises it in
 *    the background once it has run, so the block first runs untimed for `warmMs` (default 10;
 *    in loadModel, warmPopcount ran while the model downloaded, and that time counts). Baseline
 *    code can rank less clearly (Node 20, x86-64 with POPCNT: scalar 1.1x faster in Liftoff,
 *    1.3x in TurboFan; Chromium 156: 1.1-1.3x in both);
 *  - the strategies alternate (AB, BA, AB, ...) and each of `runs` rounds (default 7) yields one
 *    ratio simd/scalar of two back-to-back samples, so a late tier-up, a clock change or other
 *    load moves both samples of a round alike; the median over the rounds discards rounds that
 *    an interruption hit;
 *  - a round counts only if its samples last 10 timer steps (performance.now() is coarsened to
 *    100 µs in pages that are not cross-origin isolated): rounding moves a ratio by ~10 % at
 *    most, so only a closer race can go either way, where the choice hardly matters.
 */
export function choosePopcount(
  k: XnorKernels,
  opts: { force?: PopcountStrategy; runs?: number; warmMs?: number } = {},
): PopcountChoice {
  if (opts.force) {
    k.setPopcount(opts.force);
    return { strategy: opts.force };
  }
  const mark = k.mark();
  try {
    const pass = calibrationBlock(k);
    const sample = (s: PopcountStrategy, reps: number) => {
      k.setPopcount(s);
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) pass();
      return (performance.now() - t0) / reps;
    };
    const warmMs = opts.warmMs ?? 10;
    const t0 = performance.now();
    for (let i = 0; i < 2 || (i < 40 && performance.now() - t0 < warmMs); i++) sample(i % 2 ? 'simd' : 'scalar', 1);
    const minMs = Math.min(2, Math.max(0.1, 10 * timerStep()));
    const rounds = Math.max(1, opts.runs ?? 7);
    const ms = { scalar: Infinity, simd: Infinity };
    const ratios: number[] = [];
    let reps = 1;
    for (let tries = 0; ratios.length < rounds && tries < rounds + 4; tries++) {
      const order: PopcountStrategy[] = tries % 2 ? ['simd', 'scalar'] : ['scalar', 'simd'];
      const t = { scalar: 0, simd: 0 };
      for (const s of order) t[s] = sample(s, reps);
      const short = Math.min(t.scalar, t.simd);
      if (short * reps >= minMs) {
        ratios.push(t.simd / t.scalar);
        ms.scalar = Math.min(ms.scalar, t.scalar);
        ms.simd = Math.min(ms.simd, t.simd);
      } else reps = Math.min(64, Math.ceil((1.25 * minMs) / Math.max(short, minMs / 64)));
    }
    ratios.sort((a, b) => a - b);
    // no round long enough (a timer coarser than 2 ms): keep scalar, as a tie does
    const ratio = ratios.length ? ratios[ratios.length >> 1] : 1;
    const strategy: PopcountStrategy = ratio < 1 ? 'simd' : 'scalar';
    k.setPopcount(strategy);
    return { strategy, ms, ratio };
  } finally {
    k.release(mark);
  }
}

/** One pass of the calibration convs (choosePopcount), set up in memory allocated here. */
function calibrationBlock(k: XnorKernels): () => void {
  const e = k.exports;
  // Popcount costs the same for any bits: 1 KB of pseudo-random words, repeated, is enough (a
  // word loop over all 150 KB costs ~1 ms in a cold interpreter).
  const fill = (ptr: number, bytes: number) => {
    const u8 = k.u8();
    const v = new Int32Array(u8.buffer, ptr, Math.min(bytes, 1024) >>> 2);
    let seed = ptr | 1;
    for (let i = 0; i < v.length; i++) v[i] = seed = (Math.imul(seed, 1103515245) + 12345) | 0;
    for (let done = v.byteLength; done < bytes; done *= 2) u8.copyWithin(ptr + done, ptr, ptr + Math.min(done, bytes - done));
  };
  const convs = ([[64, 14], [256, 7]] as const).map(([c, hw]) => {
    const g: ConvGeometry = { n: 1, h: hw, w: hw, c, o: c, kh: 3, kw: 3, pads: [1, 1, 1, 1], padMode: 'zero', packed: true };
    const p = k.putConvParams(g);
    const [oh, ow] = convOutSize(g);
    const row = (c / 64) * 8;
    const x = k.alloc(hw * hw * row);
    fill(x, hw * hw * row);
    const wRaw = k.alloc(c * 9 * row);
    fill(wRaw, c * 9 * row);
    const w = k.alloc(e.bconvWeightsBytes(p));
    e.bconvPrepareWeights(p, wRaw, w);
    const corr = k.alloc(e.bconvCorrectionBytes(p));
    e.bconvPrepareCorrection(p, wRaw, corr);
    const scratch = k.alloc(e.bconvScratchBytes(p));
    const out = k.alloc(oh * ow * row);
    const thr = k.alloc(4 * c);
    const dir = k.alloc(4 * c);
    k.i32().fill(0, thr >>> 2, (thr >>> 2) + c);
    k.i32().fill(1, dir >>> 2, (dir >>> 2) + c);
    return [p, x, w, out, thr, dir, corr, scratch] as const;
  });
  return () => {
    for (const [p, x, w, out, thr, dir, corr, scratch] of convs) e.bconv2d(p, x, w, out, 0, 0, 0, thr, dir, corr, scratch);
  };
}

/** The step of performance.now() in ms (~0.001 in Node, 0.005 or 0.1 in browsers); capped ~2 ms of spinning. */
function timerStep(): number {
  const t0 = performance.now();
  let t1 = t0;
  // wait for one tick, then time the next: the first wait starts mid-step
  for (let i = 0; i < 1e5 && t1 === t0; i++) t1 = performance.now();
  let t2 = t1;
  for (let i = 0; i < 1e5 && t2 === t1; i++) t2 = performance.now();
  return t2 > t1 && t1 > t0 ? t2 - t1 : Infinity;
}
