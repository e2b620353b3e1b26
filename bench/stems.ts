// The exact integer stem (assembly/float/istem.ts) against the float stem on the same layer —
// weights on a power-of-two grid, integer pixels, as in the exact-form models — timed
// alternately in one process. Browser-safe: bench/kernels.ts runs it in Node, the browser bench
// (bench/page/worker.ts) in Chromium on the fma and the default build.
import { timeIt } from '../src/cli/roofline.js';
import { integerGrid } from '../src/runtime/int-stem.js';
import { type ConvGeometry, type XnorKernels, convOutSize } from '../src/wasm/kernels.js';

export interface StemRow {
  stem: string;
  /** How the float stem multiply-adds: 'fma' (the fma build) or 'mul+add'. */
  build: string;
  float_ms: number;
  integer_ms: number;
  /** float_ms ÷ integer_ms. */
  integer_speedup: number;
}

/** The stems of the shipped exact-form models and of the benchmarked nets. */
export const STEM_LAYERS: { name: string; g: ConvGeometry }[] = [
  { name: '3x3 32x32x3->128 (CIFAR)', g: { n: 1, h: 32, w: 32, c: 3, o: 128, kh: 3, kw: 3, pads: [1, 1, 1, 1] } },
  { name: '7x7/2 224x224x3->64', g: { n: 1, h: 224, w: 224, c: 3, o: 64, kh: 7, kw: 7, strides: [2, 2], pads: [3, 3, 3, 3] } },
  { name: '11x11/4 224x224x3->96 (AlexNet)', g: { n: 1, h: 224, w: 224, c: 3, o: 96, kh: 11, kw: 11, strides: [4, 4], pads: [2, 2, 2, 2] } },
];

export function benchIntStem(k: XnorKernels, name: string, g: ConvGeometry, rounds = 7): StemRow {
  const mark = k.mark();
  try {
    const e = k.exports;
    const [oh, ow] = convOutSize(g);
    const per = g.kh * g.kw * g.c;
    const w = Float32Array.from({ length: g.o! * per }, (_, i) => (((i * 7919) % 255) - 127) * 2 ** -12);
    const grid = integerGrid(w, g.o!)!;
    const p = k.putConvParams(g);
    const x = k.putF32(Float32Array.from({ length: g.h * g.w * g.c }, (_, i) => (i * 31) % Math.min(256, grid.limit)));
    const wf = k.alloc(e.fconvWeightsBytes(p));
    e.fconvPrepareWeights(p, k.putF32(w), wf);
    const wi = k.alloc(e.istemWeightsBytes(p));
    e.istemPrepareWeights(p, k.putI32(grid.q), wi);
    const gp = k.putF32(grid.g), b = k.putF32(new Float32Array(g.o!));
    const sc = k.alloc(Math.max(e.fconvScratchBytes(p), e.istemScratchBytes(p)));
    const out = k.alloc(oh * ow * g.o! * 4);
    const tf: number[] = [], ti: number[] = [];
    for (let r = 0; r < rounds; r++) {
      tf.push(timeIt(() => e.fconv2d(p, x, wf, b, out, sc), 7, 2));
      ti.push(timeIt(() => e.istem2d(p, x, wi, gp, b, out, sc, grid.limit), 7, 2));
    }
    const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
    const r3 = (v: number) => +v.toFixed(3);
    return { stem: name, build: k.fma ? 'fma' : 'mul+add', float_ms: r3(med(tf)), integer_ms: r3(med(ti)), integer_speedup: +(med(tf) / med(ti)).toFixed(2) };
  } finally {
    k.release(mark);
  }
}
