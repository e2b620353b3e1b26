// Typed wrapper over xnor.wasm's exports (generated: abi.generated.ts) and a bump allocator above heapBase();
// memory.grow detaches views, so take them fresh (`f32()`, `u8()`) after any allocation.
import { loadWasm, type LoadOptions } from './load.js';
import {
  type Ptr, type XnorExports, type OutputTransform, CONV_PARAMS_BYTES, CONV_PARAMS_OFFSET, OUTPUT_TRANSFORM_BYTES, FLAG_PACKED, FLAG_RELU,
  PAD_MINUS_ONE, PAD_PLUS_ONE, PAD_ZERO, POPCOUNT_HYBRID, POPCOUNT_SCALAR, POPCOUNT_SIMD, storeConvParams, storeOutputTransform,
} from './abi.generated.js';

export type { Ptr, XnorExports, OutputTransform };

export const POPCOUNT = { scalar: POPCOUNT_SCALAR, simd: POPCOUNT_SIMD, hybrid: POPCOUNT_HYBRID } as const;
export type PopcountStrategy = keyof typeof POPCOUNT;
export const PAD_MODE = { plus: PAD_PLUS_ONE, minus: PAD_MINUS_ONE, zero: PAD_ZERO } as const;
export type PadMode = keyof typeof PAD_MODE;

/** Geometry of a conv/pool (ConvParams, assembly/abi.ts). c = input channels, o = output channels. */
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
  /** Binary conv: this layer's popcount strategy (absent: the global one, setPopcount). */
  popcount?: PopcountStrategy;
}

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

/** ConvParams.popcount: 0 = the global strategy, m + 1 = strategy m. */
const convPopcount = (s: PopcountStrategy | undefined) => (s ? POPCOUNT[s] + 1 : 0);

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

  /** Whether this is a relaxed-SIMD build (xnor.relaxed.wasm, xnor.fma.wasm and their mt twins). */
  get relaxedSimd(): boolean {
    return this.exports.relaxedSimd() !== 0;
  }

  /** Whether the float kernels fuse multiply-add (xnor.fma.wasm, xnor.mt.fma.wasm). */
  get fma(): boolean {
    return this.exports.fma() !== 0;
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

  /** Writes the ConvParams struct (assembly/abi.ts) of `g` at `ptr`; returns [OH, OW]. */
  writeConvParams(ptr: Ptr, g: ConvGeometry): [number, number] {
    const [sh, sw] = g.strides ?? [1, 1];
    const [pt, pl, pb, pr] = g.pads ?? [0, 0, 0, 0];
    const [dh, dw] = g.dilations ?? [1, 1];
    const [oh, ow] = convOutSize(g);
    storeConvParams(this.memory.buffer, ptr, {
      n: g.n, h: g.h, w: g.w, c: g.c, o: g.o ?? 0, kh: g.kh, kw: g.kw, sh, sw, dh, dw, pt, pl, pb, pr, oh, ow,
      padMode: PAD_MODE[g.padMode ?? 'zero'],
      flags: (g.relu ? FLAG_RELU : 0) | (g.packed ? FLAG_PACKED : 0),
      popcount: convPopcount(g.popcount),
    });
    return [oh, ow];
  }

  /** alloc + writeConvParams. */
  putConvParams(g: ConvGeometry): Ptr {
    const p = this.alloc(CONV_PARAMS_BYTES);
    this.writeConvParams(p, g);
    return p;
  }

  /** Sets the popcount strategy of the binary conv whose ConvParams are at `p` (absent: the global one). */
  setConvPopcount(p: Ptr, s: PopcountStrategy | undefined): void {
    new DataView(this.memory.buffer).setInt32(p + CONV_PARAMS_OFFSET.popcount, convPopcount(s), true);
  }

  /** alloc + the binary conv's OutputTransform struct (assembly/abi.ts); absent pointers are 0. */
  putOutputTransform(t: OutputTransform): Ptr {
    const p = this.alloc(OUTPUT_TRANSFORM_BYTES);
    storeOutputTransform(this.memory.buffer, p, t);
    return p;
  }

  setPopcount(s: PopcountStrategy): void { this.exports.setPopcountMode(POPCOUNT[s]); }
  getPopcount(): PopcountStrategy {
    const m = this.exports.getPopcountMode();
    return m === POPCOUNT.simd ? 'simd' : m === POPCOUNT.hybrid ? 'hybrid' : 'scalar';
  }
}

/**
 * The binary conv's loop shapes (assembly/bconv/kernel.ts runTiles), each raced on its own
 * block: `k3c64` 3x3 with one word per pixel (c <= 64, DW = 1), `k1` 1xK with DW = 1 and a
 * run of <= 8 words (the 1x1 shortcuts), `general` everything else.
 */
export const BCONV_SHAPES = ['k3c64', 'k1', 'general'] as const;
export type BconvShape = (typeof BCONV_SHAPES)[number];
const STRATEGIES = ['scalar', 'simd', 'hybrid'] as const;

/** Which loop shape of the binary conv a layer runs (mirrors runTiles' is33 / is1). */
export function bconvShape(g: ConvGeometry): BconvShape {
  const cw = Math.ceil(g.c / 64);
  const dw = g.dilations?.[1] ?? 1;
  if (dw === 1 && g.kh === 3 && g.kw * cw === 3) return 'k3c64';
  if (dw === 1 && g.kh === 1 && g.kw * cw <= 8) return 'k1';
  return 'general';
}

export interface PopcountChoice {
  /** The global strategy (bdense, and binary convs without their own): fastest on the whole block. */
  strategy: PopcountStrategy;
  /** The strategy of each binary-conv loop shape: fastest on that shape's block. */
  perShape: Record<BconvShape, PopcountStrategy>;
  /** Fastest milliseconds of one pass of the whole calibration block per strategy (absent when forced). */
  ms?: Record<PopcountStrategy, number>;
  /** Median over the rounds of simd time / scalar time on the whole block (absent when forced). */
  ratio?: number;
  /** Median over the rounds of each strategy's time / scalar time, per loop shape and 'all' (absent when forced). */
  ratios?: Record<BconvShape | 'all', Record<PopcountStrategy, number>>;
}

/**
 * Runs the calibration block with every strategy (`passes` times, default 1): V8 compiles
 * bconv2d lazily at its first call (baseline code) and optimises it in the background once it
 * has run enough, so a choosePopcount some ms later (loadModel: after the download) may race
 * optimised code. Not always (several passes may be needed, time that would count against a
 * cold start: bench/results/code-notes.md), and baseline code ranks the hybrid below scalar (SIMD is slow in V8's
 * baseline compiler): hence WasmBackend races after its first inferences instead (no longer
 * calls this).
 */
export function warmPopcount(k: XnorKernels, passes = 1): void {
  const mark = k.mark();
  const mode = k.getPopcount();
  try {
    const block = calibrationBlock(k);
    for (let i = 0; i < passes; i++)
      for (const s of STRATEGIES) {
        k.setPopcount(s);
        for (const pass of Object.values(block)) pass();
      }
  } finally {
    k.setPopcount(mode);
    k.release(mark);
  }
}

/**
 * Grows memory now (if needed) so that a later choosePopcount above the current top fits
 * without growing it (a backend's re-race after warm-up must not change its memory).
 */
export function reservePopcountRace(k: XnorKernels): void {
  const mark = k.mark();
  try {
    calibrationBlock(k);
  } finally {
    k.release(mark);
  }
}

const allOf = (s: PopcountStrategy): Record<BconvShape, PopcountStrategy> => ({ k3c64: s, k1: s, general: s });

/**
 * Times the popcount strategies (scalar, SIMD, hybrid) on a representative block, one conv per
 * loop shape of the kernel, and keeps the fastest per shape (`perShape`, which the runtime
 * writes into each binary conv's params) and overall (`strategy`, the global mode); `force`
 * skips the timing. The block: a c64 14x14 3x3 conv (`k3c64`), a c128 14x14 1x1 stride-2
 * conv to 256 channels (`k1`, a shortcut) and a c256 7x7 3x3 conv (`general`, with 73 KB of
 * weights: more than L1, as in the deep layers), packed outputs. Memory used is released.
 *
 * A few ms, once per process, and still a fair race:
 *  - it should race optimised code: V8 compiles bconv2d lazily at its first call and optimises
 *    it in the background once it has run a while, so the block first runs untimed for `warmMs`
 *    (default 10); WasmBackend races after its third inference, on kernels its runs warmed;
 *  - the strategies take turns in rotating order and each of `runs` rounds (default 5) yields,
 *    per shape, the ratios of back-to-back samples to scalar's, so a late tier-up, a clock
 *    change or other load moves a round's samples alike; the median over the rounds discards
 *    rounds that an interruption hit;
 *  - a sample counts only if it lasts 10 timer steps (performance.now() is coarsened to
 *    100 µs in pages that are not cross-origin isolated); shorter ones are repeated.
 */
export function choosePopcount(
  k: XnorKernels,
  opts: { force?: PopcountStrategy; runs?: number; warmMs?: number } = {},
): PopcountChoice {
  if (opts.force) {
    k.setPopcount(opts.force);
    return { strategy: opts.force, perShape: allOf(opts.force) };
  }
  const mark = k.mark();
  try {
    const block = calibrationBlock(k);
    const sample = (s: PopcountStrategy, shape: BconvShape, reps: number) => {
      k.setPopcount(s);
      const pass = block[shape];
      pass(); // untimed: brings this shape's data back into L1 (the general block's weights evict it)
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) pass();
      return (performance.now() - t0) / reps;
    };
    const warmMs = opts.warmMs ?? 10;
    const t0 = performance.now();
    for (let i = 0; i < 3 || (i < 60 && performance.now() - t0 < warmMs); i++)
      for (const shape of BCONV_SHAPES) sample(STRATEGIES[i % 3], shape, 1);
    const minMs = Math.min(2, Math.max(0.1, 10 * timerStep()));
    const rounds = Math.max(1, opts.runs ?? 5);
    const ms = { scalar: Infinity, simd: Infinity, hybrid: Infinity };
    const keys = [...BCONV_SHAPES, 'all'] as const;
    const ratios = Object.fromEntries(keys.map((key) => [key, { scalar: [] as number[], simd: [] as number[], hybrid: [] as number[] }])) as
      Record<BconvShape | 'all', Record<PopcountStrategy, number[]>>;
    const reps = { k3c64: 1, k1: 1, general: 1 };
    let done = 0;
    for (let tries = 0; done < rounds && tries < rounds + 4; tries++) {
      const order = STRATEGIES.map((_, i) => STRATEGIES[(i + tries) % 3]);
      const t = { scalar: { k3c64: 0, k1: 0, general: 0 }, simd: { k3c64: 0, k1: 0, general: 0 }, hybrid: { k3c64: 0, k1: 0, general: 0 } };
      for (const s of order) for (const shape of BCONV_SHAPES) t[s][shape] = sample(s, shape, reps[shape]);
      let ok = true;
      for (const shape of BCONV_SHAPES) {
        const short = Math.min(t.scalar[shape], t.simd[shape], t.hybrid[shape]);
        if (short * reps[shape] < minMs) {
          ok = false;
          reps[shape] = Math.min(64, Math.ceil((1.25 * minMs) / Math.max(short, minMs / 64)));
        }
      }
      if (!ok) continue;
      done++;
      for (const s of STRATEGIES) {
        const all = t[s].k3c64 + t[s].k1 + t[s].general;
        const allScalar = t.scalar.k3c64 + t.scalar.k1 + t.scalar.general;
        ms[s] = Math.min(ms[s], all);
        ratios.all[s].push(all / allScalar);
        for (const shape of BCONV_SHAPES) ratios[shape][s].push(t[s][shape] / t.scalar[shape]);
      }
    }
    const median = (a: number[]) => (a.length ? [...a].sort((x, y) => x - y)[a.length >> 1] : 1);
    const med = Object.fromEntries(keys.map((key) => [key, {
      scalar: 1, simd: median(ratios[key].simd), hybrid: median(ratios[key].hybrid),
    }])) as Record<BconvShape | 'all', Record<PopcountStrategy, number>>;
    // ties (and no round long enough: a timer coarser than 2 ms) keep scalar
    const best = (r: Record<PopcountStrategy, number>): PopcountStrategy =>
      STRATEGIES.reduce((a, b) => (r[b] < r[a] ? b : a), 'scalar' as PopcountStrategy);
    const strategy = best(med.all);
    const perShape = { k3c64: best(med.k3c64), k1: best(med.k1), general: best(med.general) };
    k.setPopcount(strategy);
    return { strategy, perShape, ms, ratio: med.all.simd, ratios: med };
  } finally {
    k.release(mark);
  }
}

/** One pass per loop shape of the calibration convs (choosePopcount), set up in memory allocated here. */
function calibrationBlock(k: XnorKernels): Record<BconvShape, () => void> {
  const e = k.exports;
  // Popcount costs the same for any bits: 1 KB of pseudo-random words, repeated, is enough (a
  // word loop over the whole buffer is slow in a cold interpreter).
  const fill = (ptr: number, bytes: number) => {
    const u8 = k.u8();
    const v = new Int32Array(u8.buffer, ptr, Math.min(bytes, 1024) >>> 2);
    let seed = ptr | 1;
    for (let i = 0; i < v.length; i++) v[i] = seed = (Math.imul(seed, 1103515245) + 12345) | 0;
    for (let done = v.byteLength; done < bytes; done *= 2) u8.copyWithin(ptr + done, ptr, ptr + Math.min(done, bytes - done));
  };
  const conv = (c: number, o: number, hw: number, kk: number, stride: number) => {
    const pad = kk >> 1;
    const g: ConvGeometry = { n: 1, h: hw, w: hw, c, o, kh: kk, kw: kk, strides: [stride, stride], pads: [pad, pad, pad, pad], padMode: 'zero', packed: true };
    const p = k.putConvParams(g);
    const [oh, ow] = convOutSize(g);
    const row = (c / 64) * 8;
    const x = k.alloc(hw * hw * row);
    fill(x, hw * hw * row);
    const wRaw = k.alloc(o * kk * kk * row);
    fill(wRaw, o * kk * kk * row);
    const w = k.alloc(e.bconvWeightsBytes(p));
    e.bconvPrepareWeights(p, wRaw, w);
    const corr = k.alloc(e.bconvCorrectionBytes(p));
    e.bconvPrepareCorrection(p, wRaw, corr);
    const scratch = k.alloc(e.bconvScratchBytes(p));
    const out = k.alloc(oh * ow * (o / 64) * 8);
    const thr = k.alloc(4 * o);
    const dir = k.alloc(4 * o);
    k.i32().fill(0, thr >>> 2, (thr >>> 2) + o);
    k.i32().fill(1, dir >>> 2, (dir >>> 2) + o);
    const tr = k.putOutputTransform({ thr, dir, corr });
    return () => e.bconv2d(p, x, w, out, tr, scratch);
  };
  return { k3c64: conv(64, 64, 14, 3, 1), k1: conv(128, 256, 14, 1, 2), general: conv(256, 256, 7, 3, 1) };
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
