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
  /** 1 in the relaxed-SIMD builds (FMA float convs and dense), 0 in the plain ones. */
  relaxedSimd(): number;
  fmaxpool(p: Ptr, x: Ptr, y: Ptr): void;
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
  /** Best-of-n milliseconds of the calibration conv per strategy (absent when forced). */
  ms?: Record<PopcountStrategy, number>;
}

/**
 * Times both popcount strategies on two short realistic binary convs (3x3, pad 1, packed
 * output: c64 28x28, which takes the specialised c<=64 path, and c256 7x7, the general path)
 * and selects the faster total; `force` skips the timing. Memory used is released.
 */
export function choosePopcount(k: XnorKernels, opts: { force?: PopcountStrategy; runs?: number } = {}): PopcountChoice {
  if (opts.force) {
    k.setPopcount(opts.force);
    return { strategy: opts.force };
  }
  const mark = k.mark();
  try {
    const e = k.exports;
    let seed = 0x9e3779b9;
    const convs = ([[64, 28], [256, 7]] as const).map(([c, hw]) => {
      const g: ConvGeometry = { n: 1, h: hw, w: hw, c, o: c, kh: 3, kw: 3, pads: [1, 1, 1, 1], padMode: 'zero', packed: true };
      const p = k.putConvParams(g);
      const [oh, ow] = convOutSize(g);
      const cw = c / 64;
      const x = k.alloc(g.h * g.w * cw * 8);
      const wRaw = k.alloc(c * 9 * cw * 8);
      const u8 = k.u8();
      for (let i = 0; i < g.h * g.w * cw * 8; i++) u8[x + i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
      for (let i = 0; i < c * 9 * cw * 8; i++) u8[wRaw + i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
      const w = k.alloc(e.bconvWeightsBytes(p));
      e.bconvPrepareWeights(p, wRaw, w);
      const corr = k.alloc(e.bconvCorrectionBytes(p));
      e.bconvPrepareCorrection(p, wRaw, corr);
      const scratch = k.alloc(e.bconvScratchBytes(p));
      const out = k.alloc(oh * ow * cw * 8);
      const thr = k.putI32(new Int32Array(c));
      const dir = k.putI32(new Int32Array(c).fill(1));
      return () => e.bconv2d(p, x, w, out, 0, 0, 0, thr, dir, corr, scratch);
    });
    const ms = { scalar: 0, simd: 0 };
    const runs = opts.runs ?? 7;
    for (const s of ['scalar', 'simd'] as const) {
      k.setPopcount(s);
      for (const run of convs) {
        let best = Infinity;
        for (let r = 0; r < runs + 2; r++) {
          const t0 = performance.now();
          run();
          const dt = performance.now() - t0;
          if (r >= 2) best = Math.min(best, dt);
        }
        ms[s] += best;
      }
    }
    const strategy: PopcountStrategy = ms.simd < ms.scalar ? 'simd' : 'scalar';
    k.setPopcount(strategy);
    return { strategy, ms };
  } finally {
    k.release(mark);
  }
}
