import { describe, expect, it } from 'vitest';
import { kernels, runSplit } from './helpers.js';
import { caseName, runBconvCase, type BconvCase } from './bconv-harness.js';
import type { PadMode } from '../../src/wasm/kernels.js';

// 32, 40, 96: C % 8 == 0 with padding bits, the dense runs (assembly/bconv/dense.ts) where KH > 1
const CHANNELS = [1, 3, 31, 32, 33, 40, 63, 64, 65, 96, 127, 128, 256];
const KERNELS: [number, number][] = [[1, 1], [3, 3], [5, 5], [7, 7], [3, 5], [1, 7]];
const PADS: PadMode[] = ['plus', 'minus', 'zero'];
const OUTS = [1, 5, 17, 64];

/** Full cartesian grid on small odd spatial sizes; output channels rotate, capped by cost. */
function grid(): BconvCase[] {
  const cases: BconvCase[] = [];
  let seed = 1;
  for (const c of CHANNELS)
    for (const [kh, kw] of KERNELS)
      for (const s of [1, 2])
        for (const pad of PADS) {
          seed++;
          const n = seed % 5 === 0 ? 3 : 1;
          // asymmetric pads: "same"-ish on top/left, varying bottom/right
          const pads: [number, number, number, number] = [kh >> 1, kw >> 1, (kh - 1) - (kh >> 1) + (seed % 2), seed % 3 === 0 ? 0 : kw >> 1];
          const h = Math.max(kh, 5) + (seed % 2 === 0 ? 0 : 2) | 1;
          const w = Math.max(kw, 5) + 2 | 1;
          let o = OUTS[seed % OUTS.length];
          while (o > 5 && n * h * w * o * kh * kw * c > 2_000_000) o = o === 64 ? 17 : 5;
          cases.push({ n, h, w, c, o, kh, kw, s: [s, s], d: [1, 1], pads, pad, seed });
        }
  // dilation subset (incl. mixed dilation and stride)
  for (const c of [3, 64, 65, 128])
    for (const [kh, kw] of [[3, 3], [3, 5]] as [number, number][])
      for (const d of [[2, 2], [2, 1]] as [number, number][])
        for (const pad of PADS) {
          seed++;
          cases.push({ n: 1, h: 9, w: 11, c, o: 17, kh, kw, s: [1 + (seed % 2), 1], d, pads: [2, 2, 1, 2], pad, seed });
        }
  // edge geometry: no padding, 1-pixel output, pads larger than the image interior
  cases.push({ n: 1, h: 3, w: 3, c: 65, o: 5, kh: 3, kw: 3, s: [1, 1], d: [1, 1], pads: [0, 0, 0, 0], pad: 'zero', seed: 9001 });
  cases.push({ n: 2, h: 2, w: 3, c: 33, o: 17, kh: 5, kw: 5, s: [1, 1], d: [1, 1], pads: [2, 2, 2, 2], pad: 'zero', seed: 9002 });
  cases.push({ n: 1, h: 1, w: 1, c: 64, o: 4, kh: 3, kw: 3, s: [2, 2], d: [1, 1], pads: [1, 1, 1, 1], pad: 'minus', seed: 9003 });
  // several output tiles per row (tile = 4096 / O4 pixels, bconvTile), last one partial, O % 4 != 0:
  // the general path, the c <= 64 3x3 path and the 1x1 path
  cases.push({ n: 1, h: 4, w: 33, c: 65, o: 261, kh: 3, kw: 3, s: [1, 1], d: [1, 1], pads: [1, 1, 1, 1], pad: 'zero', seed: 9004 });
  cases.push({ n: 2, h: 3, w: 37, c: 64, o: 259, kh: 3, kw: 3, s: [1, 1], d: [1, 1], pads: [1, 1, 1, 0], pad: 'minus', seed: 9005 });
  cases.push({ n: 1, h: 3, w: 35, c: 130, o: 262, kh: 1, kw: 1, s: [1, 1], d: [1, 1], pads: [0, 0, 0, 0], pad: 'plus', seed: 9006 });
  // AlexNet's conv2 shape (dense runs, 2 tiles per row), and dense runs of 9 words (> 31 per pixel: widened between rows)
  cases.push({ n: 1, h: 6, w: 27, c: 96, o: 258, kh: 5, kw: 5, s: [1, 1], d: [1, 1], pads: [2, 2, 2, 2], pad: 'zero', seed: 9007 });
  cases.push({ n: 1, h: 7, w: 9, c: 96, o: 17, kh: 5, kw: 6, s: [1, 2], d: [1, 1], pads: [2, 3, 2, 2], pad: 'minus', seed: 9008 });
  return cases;
}

const CASES = grid();

describe('bconv2d (release build) equals the reference exactly', () => {
  it.each(CASES.map((c) => [caseName(c), c] as const))('%s', async (_name, c) => {
    const k = await kernels('release');
    expect(runBconvCase(k, c)).toEqual([]);
  });
});

describe('bconv2d (debug build) equals the reference exactly (every 9th case)', () => {
  it.each(CASES.filter((_, i) => i % 9 === 0).map((c) => [caseName(c), c] as const))('%s', async (_name, c) => {
    const k = await kernels('debug');
    expect(runBconvCase(k, c)).toEqual([]);
  });
});

// The plain build counts the hybrid's SIMD half with i8x16.swizzle, the relaxed one (release
// here) with i8x16.relaxed_swizzle: both run the grid.
describe('bconv2d (plain build, no relaxed SIMD) equals the reference exactly (every 3rd case)', () => {
  it.each(CASES.filter((_, i) => i % 3 === 1).map((c) => [caseName(c), c] as const))('%s', async (_name, c) => {
    const k = await kernels('plain');
    expect(runBconvCase(k, c)).toEqual([]);
  });
});

// A layer's own strategy (ConvParams.popcount, chosen per layer shape at load) overrides the global mode.
describe('bconv2d with the strategy set per layer equals the reference exactly (every 4th case)', () => {
  it.each(CASES.filter((_, i) => i % 4 === 2).map((c) => [caseName(c), c] as const))('%s', async (_name, c) => {
    const k = await kernels('release');
    expect(runBconvCase(k, c, { perLayer: true })).toEqual([]);
  });
});

// The kernel pool's split (src/wasm/pool.ts): thread t runs bconv2dRange over its share of the
// output pixels with its own tile buffer; 2 and 3 threads, boundaries inside output rows.
describe('bconv2dRange split over 2 or 3 threads equals the reference exactly', () => {
  const split = CASES.map((c, i) => [c, i % 3 === 0 ? 3 : 2] as const).filter((_, i) => i % 3 !== 2);
  it.each(split.map(([c, parts]) => [`${caseName(c)} threads=${parts}`, c, parts] as const))('%s', async (_name, c, parts) => {
    const k = await kernels('release');
    expect(runBconvCase(k, c, { split: parts })).toEqual([]);
  });
});

describe('the bconv tests can fail', () => {
  it('a range kernel that writes outside its range is detected', async () => {
    const k = await kernels('release');
    const c: BconvCase = { n: 1, h: 6, w: 7, c: 64, o: 8, kh: 3, kw: 3, s: [1, 1], d: [1, 1], pads: [1, 1, 1, 1], pad: 'plus', seed: 78 };
    expect(runBconvCase(k, c, { split: 3 })).toEqual([]);
    const mark = k.mark();
    const e = k.exports;
    const g = { n: 1, h: 6, w: 7, c: 64, o: 8, kh: 3, kw: 3, pads: [1, 1, 1, 1] as const, padMode: 'plus' as const };
    const p = k.putConvParams(g);
    const x = k.alloc(6 * 7 * 8), w = k.alloc(e.bconvWeightsBytes(p)), out = k.alloc(6 * 7 * 8 * 4);
    const scratch = k.alloc(e.bconvScratchBytes(p) + 2 * e.bconvTileBytes(p));
    e.bconvPad(p, x, scratch);
    // every "thread" computes all 42 pixels: thread 1's pixels are written before its turn
    const tr = k.putOutputTransform({});
    const fail = runSplit(k, out, 42, 8 * 4, 3, (_a, _b, t) => e.bconv2dRange(0, 42, t, p, x, w, out, tr, scratch));
    k.release(mark);
    expect(fail).toMatch(/items \[14, 28\) of thread 1 were written/);
  });


  it('a wrong padding mode given to the kernel is detected', async () => {
    const k = await kernels('release');
    const c: BconvCase = { n: 1, h: 7, w: 7, c: 33, o: 5, kh: 3, kw: 3, s: [2, 2], d: [1, 1], pads: [1, 1, 1, 1], pad: 'zero', seed: 77 };
    expect(runBconvCase(k, c)).toEqual([]);
    for (const wrong of ['plus', 'minus'] as const) {
      expect(runBconvCase(k, c, { kernelPad: wrong }).length).toBeGreaterThan(0);
    }
  });
});
