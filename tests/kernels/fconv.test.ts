import { describe, expect, it } from 'vitest';
import { conv2dSum } from '../../src/reference/ops.js';
import { packBits } from '../../src/ops/bits.js';
import { convOutSize, type XnorKernels } from '../../src/wasm/kernels.js';
import { FLOAT_BUILDS, kernels, mulberry32, randFloats, randSigns, refOp, runSplit, tensor, firstMismatch, describeMismatch } from './helpers.js';

interface FCase {
  n: number; h: number; w: number; c: number; o: number; kh: number; kw: number;
  s: [number, number]; d: [number, number]; pads: [number, number, number, number]; relu: boolean; bias: boolean; seed: number;
}
const name = (c: FCase, what = 'fconv') =>
  `${what} n=${c.n} c=${c.c} o=${c.o} k=${c.kh}x${c.kw} s=${c.s.join('x')} d=${c.d.join('x')} pads=${c.pads.join(',')} in=${c.h}x${c.w}${c.relu ? ' relu' : ''}${c.bias ? ' bias' : ''}`;

/** f32 accumulation tolerance: relative to Σ|x·w| of the output (computed exactly in f64). */
function tolerance(c: FCase, x: Float32Array, w: Float32Array, scale: ArrayLike<number> | undefined) {
  const abs = (a: Float32Array) => Float32Array.from(a, Math.abs);
  const window = { strides: c.s, pads: c.pads, dilations: c.d };
  const sumAbs = conv2dSum(tensor([c.n, c.h, c.w, c.c], abs(x)), tensor([c.o, c.kh, c.kw, c.c], abs(w)), window).data;
  return (i: number) => 2e-6 * sumAbs[i] * (scale ? Math.abs(scale[i % c.o]) : 1) + 1e-6;
}

/**
 * Reference comparison of fconv2d; with `split`, fconv2dRange over that many thread ranges
 * (runSplit, as the kernel pool runs it) must also equal fconv2d bit for bit.
 */
function runFconv(k: XnorKernels, c: FCase, bwn: boolean, split = 0): string {
  const r = mulberry32(c.seed);
  const x = randFloats(r, c.n * c.h * c.w * c.c);
  const w = bwn ? randSigns(r, c.o * c.kh * c.kw * c.c) : randFloats(r, c.o * c.kh * c.kw * c.c);
  const bias = randFloats(r, c.o, 0.5);
  const mul = randFloats(r, c.o, 0.2);
  const attrs = { strides: c.s, pads: c.pads, dilations: c.d, activation: c.relu ? 'relu' : 'none' };
  const xT = tensor([c.n, c.h, c.w, c.c], x), wT = tensor([c.o, c.kh, c.kw, c.c], w);
  const want = bwn
    ? refOp('BwnConv2D', [xT, wT, tensor([c.o], mul), tensor([c.o], c.bias ? bias : new Float32Array(c.o))], attrs).data
    : refOp('Conv2D', [xT, wT, c.bias ? tensor([c.o], bias) : undefined], attrs).data;
  const g = { n: c.n, h: c.h, w: c.w, c: c.c, o: c.o, kh: c.kh, kw: c.kw, strides: c.s, dilations: c.d, pads: c.pads, relu: c.relu };
  const [oh, ow] = convOutSize(g);
  const mark = k.mark();
  try {
    const e = k.exports;
    const p = k.putConvParams(g);
    const wp = k.alloc(e.fconvWeightsBytes(p));
    if (bwn) e.bwnPrepareWeights(p, k.putBytes(packBits(w, [c.o, c.kh, c.kw, c.c])), k.putF32(mul), wp);
    else e.fconvPrepareWeights(p, k.putF32(w), wp);
    const out = k.alloc(c.n * oh * ow * c.o * 4);
    const xP = k.putF32(x), bP = c.bias ? k.putF32(bias) : 0, scratch = k.alloc(e.fconvScratchBytes(p));
    e.fconv2d(p, xP, wp, bP, out, scratch);
    const got = k.readF32(out, want.length);
    const vsRef = describeMismatch(got, want, firstMismatch(got, want, tolerance(c, x, w, bwn ? mul : undefined)));
    if (vsRef !== 'ok' || !split) return vsRef;
    const outS = k.alloc(want.length * 4);
    e.fconvPad(p, xP, scratch);
    // rows of the flattened [N, OH]
    const fail = runSplit(k, outS, c.n * oh, ow * c.o * 4, split, (a, b, t) => e.fconv2dRange(a, b, t, p, xP, wp, bP, outS, scratch));
    const gotS = k.readF32(outS, want.length);
    const i = firstMismatch(gotS, got);
    return fail ?? (i < 0 ? 'ok' : `split ${split}: ${describeMismatch(gotS, got, i)}`);
  } finally {
    k.release(mark);
  }
}

function grid(): FCase[] {
  const cases: FCase[] = [];
  let seed = 100;
  for (const c of [1, 3, 8, 17, 64])
    for (const [kh, kw] of [[1, 1], [3, 3], [5, 5], [7, 7], [3, 5], [1, 7]] as [number, number][])
      for (const s of [1, 2]) {
        seed++;
        const o = [1, 5, 8, 17, 64][seed % 5];
        const pads: [number, number, number, number] = [kh >> 1, kw >> 1, seed % 2 ? kh >> 1 : 0, kw - 1 - (kw >> 1)];
        cases.push({ n: seed % 4 === 0 ? 3 : 1, h: Math.max(kh, 5) | 1, w: (Math.max(kw, 5) + 2) | 1, c, o, kh, kw, s: [s, s], d: [1, 1], pads, relu: seed % 3 === 0, bias: seed % 5 !== 1, seed });
      }
  for (const c of [3, 17])
    for (const d of [[2, 2], [1, 2]] as [number, number][]) {
      seed++;
      cases.push({ n: 1, h: 9, w: 11, c, o: 9, kh: 3, kw: 3, s: [1, 2], d, pads: [2, 1, 2, 2], relu: true, bias: true, seed });
    }
  return cases;
}

const STEMS: FCase[] = [
  { n: 1, h: 23, w: 23, c: 3, o: 64, kh: 7, kw: 7, s: [2, 2], d: [1, 1], pads: [3, 3, 3, 3], relu: true, bias: true, seed: 7 },
  { n: 2, h: 31, w: 29, c: 3, o: 64, kh: 11, kw: 11, s: [4, 4], d: [1, 1], pads: [2, 2, 2, 2], relu: false, bias: true, seed: 11 },
  // the SW*C == 6 fast path (immediate pixel offsets) with a partial last pixel group (OW % 4 != 0)
  // and a partial channel block; and its SW = 1, C = 6 variant
  { n: 1, h: 21, w: 27, c: 3, o: 20, kh: 7, kw: 7, s: [2, 2], d: [1, 1], pads: [3, 3, 2, 2], relu: false, bias: false, seed: 13 },
  { n: 1, h: 9, w: 15, c: 6, o: 9, kh: 3, kw: 5, s: [1, 1], d: [1, 1], pads: [1, 2, 1, 2], relu: true, bias: true, seed: 17 },
];

// Every float-conv test runs on the plain build (mul + add) and the fma one (FMA): both
// must meet the same tolerance, and each split must equal its own build's fconv2d exactly.
describe.each(FLOAT_BUILDS)('fconv2d matches the reference (f32 accumulation tolerance, %s build)', (build) => {
  it.each(grid().map((c) => [name(c), c] as const))('%s', async (_n, c) => {
    expect(runFconv(await kernels(build), c, false)).toBe('ok');
  });
  it.each(STEMS.map((c) => [name(c, 'stem fconv'), c] as const))('%s', async (_n, c) => {
    expect(runFconv(await kernels(build), c, false)).toBe('ok');
    if (build === 'plain') expect(runFconv(await kernels('debug'), c, false)).toBe('ok');
  });
});

// The kernel pool's split (src/wasm/pool.ts): fconv2dRange over 2 or 3 threads' shares.
describe.each(FLOAT_BUILDS)('fconv2dRange split over 2 or 3 threads matches the reference and equals fconv2d exactly (%s build)', (build) => {
  const cases = [...grid().filter((_, i) => i % 2 === 0), ...STEMS];
  it.each(cases.map((c, i) => [name(c, `fconv threads=${2 + (i % 2)}`), c, 2 + (i % 2)] as const))('%s', async (_n, c, parts) => {
    expect(runFconv(await kernels(build), c, false, parts)).toBe('ok');
  });
  it.each(grid().filter((_, i) => i % 5 === 0).map((c, i) => [name(c, `bwnconv threads=${3 - (i % 2)}`), c, 3 - (i % 2)] as const))('%s', async (_n, c, parts) => {
    expect(runFconv(await kernels(build), c, true, parts)).toBe('ok');
  });
});

describe.each(FLOAT_BUILDS)('BWN conv (packed ±1 weights expanded to ±mul) matches the reference (%s build)', (build) => {
  it.each(grid().filter((_, i) => i % 3 === 0).map((c) => [name(c, 'bwnconv'), c] as const))('%s', async (_n, c) => {
    expect(runFconv(await kernels(build), c, true)).toBe('ok');
  });
});

describe('the fconv tests can fail', () => {
  it('a shifted window (wrong pad-left) is detected', async () => {
    const k = await kernels();
    // corrupt the params struct (pad-left 0 instead of 1): the window shifts, results must differ
    const r = mulberry32(1);
    const x = randFloats(r, 1 * 9 * 9 * 3), w = randFloats(r, 8 * 3 * 3 * 3);
    const want = refOp('Conv2D', [tensor([1, 9, 9, 3], x), tensor([8, 3, 3, 3], w)], { pads: [1, 1, 1, 1] }).data;
    const mark = k.mark();
    const p = k.putConvParams({ n: 1, h: 9, w: 9, c: 3, o: 8, kh: 3, kw: 3, pads: [1, 1, 1, 1] });
    const wp = k.alloc(k.exports.fconvWeightsBytes(p));
    k.exports.fconvPrepareWeights(p, k.putF32(w), wp);
    k.writeI32(p + 12 * 4, [0]);
    const out = k.alloc(want.length * 4);
    k.exports.fconv2d(p, k.putF32(x), wp, 0, out, k.alloc(k.exports.fconvScratchBytes(p) + 4096));
    const got = k.readF32(out, want.length);
    k.release(mark);
    expect(firstMismatch(got, want, () => 1e-4)).toBeGreaterThanOrEqual(0);
  });
});
