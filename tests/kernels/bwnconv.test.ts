// The BWN table conv (assembly/float/bwn.ts) against the reference BwnConv2D, over a grid of
// channel counts that are not multiples of 4 or 8, odd sizes, strides, dilations and pads; its
// thread split (bwnconv2dRange, each thread with its own tables) must equal bwnconv2d exactly.
import { describe, expect, it } from 'vitest';
import { conv2dSum } from '../../src/reference/ops.js';
import { packBits } from '../../src/ops/bits.js';
import { convOutSize, type XnorKernels } from '../../src/wasm/kernels.js';
import { FLOAT_BUILDS, kernels, mulberry32, randFloats, randSigns, refOp, runSplit, tensor, firstMismatch, describeMismatch } from './helpers.js';

interface BCase {
  n: number; h: number; w: number; c: number; o: number; kh: number; kw: number;
  s: [number, number]; d: [number, number]; pads: [number, number, number, number]; relu: boolean; bias: boolean; seed: number;
}
const name = (c: BCase) =>
  `bwn table n=${c.n} c=${c.c} o=${c.o} k=${c.kh}x${c.kw} s=${c.s.join('x')} d=${c.d.join('x')} pads=${c.pads.join(',')} in=${c.h}x${c.w}${c.relu ? ' relu' : ''}${c.bias ? ' bias' : ''}`;

function grid(): BCase[] {
  const cases: BCase[] = [];
  let seed = 500;
  for (const c of [1, 3, 4, 6, 17, 64])
    for (const [kh, kw] of [[1, 1], [3, 3], [5, 5], [1, 3]] as [number, number][])
      for (const s of [1, 2]) {
        seed++;
        const o = [1, 5, 8, 13, 64][seed % 5];
        const pads: [number, number, number, number] = [kh >> 1, kw >> 1, seed % 2 ? kh >> 1 : 0, kw - 1 - (kw >> 1)];
        cases.push({ n: seed % 4 === 0 ? 2 : 1, h: Math.max(kh, 5) | 1, w: (Math.max(kw, 5) + 2 + (seed % 3)) | 1, c, o, kh, kw, s: [s, s], d: [1, 1], pads, relu: seed % 3 === 0, bias: seed % 5 !== 1, seed });
      }
  for (const c of [5, 18])
    for (const d of [[2, 2], [1, 2]] as [number, number][]) {
      seed++;
      cases.push({ n: 1, h: 9, w: 11, c, o: 9, kh: 3, kw: 3, s: [1, 2], d, pads: [2, 1, 2, 2], relu: true, bias: true, seed });
    }
  // the shipped CIFAR ResNet's shapes, small: c = o = 64, 3x3 pad 1, and its 4x4 last stage
  cases.push({ n: 1, h: 8, w: 8, c: 64, o: 64, kh: 3, kw: 3, s: [1, 1], d: [1, 1], pads: [1, 1, 1, 1], relu: true, bias: true, seed: 901 });
  cases.push({ n: 1, h: 4, w: 4, c: 256, o: 24, kh: 3, kw: 3, s: [1, 1], d: [1, 1], pads: [1, 1, 1, 1], relu: false, bias: true, seed: 902 });
  return cases;
}

interface Result { check: string; out: Float32Array }

/** bwnconv2d vs the reference (the float conv's tolerance); with `split`, bwnconv2dRange over that many threads must equal it. */
function runBwn(k: XnorKernels, c: BCase, split = 0, corrupt = false): Result {
  const r = mulberry32(c.seed);
  const x = randFloats(r, c.n * c.h * c.w * c.c);
  const w = randSigns(r, c.o * c.kh * c.kw * c.c);
  const bias = randFloats(r, c.o, 0.5);
  const mul = randFloats(r, c.o, 0.2);
  const attrs = { strides: c.s, pads: c.pads, dilations: c.d, activation: c.relu ? 'relu' : 'none' };
  const xT = tensor([c.n, c.h, c.w, c.c], x);
  const want = refOp('BwnConv2D', [xT, tensor([c.o, c.kh, c.kw, c.c], w), tensor([c.o], mul), tensor([c.o], c.bias ? bias : new Float32Array(c.o))], attrs).data;
  // Σ|x| over each window (|w| = 1), scaled by |mul|: the float conv tests' tolerance
  const window = { strides: c.s, pads: c.pads, dilations: c.d };
  const sumAbs = conv2dSum(tensor(xT.shape, x.map(Math.abs)), tensor([c.o, c.kh, c.kw, c.c], new Float32Array(w.length).fill(1)), window).data;
  const tol = (i: number) => 2e-6 * sumAbs[i] * Math.abs(mul[i % c.o]) + 1e-6;
  const g = { n: c.n, h: c.h, w: c.w, c: c.c, o: c.o, kh: c.kh, kw: c.kw, strides: c.s, dilations: c.d, pads: c.pads, relu: c.relu };
  const [oh, ow] = convOutSize(g);
  const mark = k.mark();
  try {
    const e = k.exports;
    const p = k.putConvParams(g);
    const wp = k.alloc(e.bwnWeightsBytes(p));
    const bits = packBits(w, [c.o, c.kh, c.kw, c.c]);
    if (corrupt) bits[0] ^= 1;
    e.bwnPrepare(p, k.putBytes(bits), k.putF32(mul), wp);
    const out = k.alloc(want.length * 4);
    const xP = k.putF32(x), bP = c.bias ? k.putF32(bias) : 0;
    const scratch = k.alloc(e.bwnScratchBytes(p) + Math.max(0, split - 1) * e.bwnTableBytes(p), 64);
    e.bwnconv2d(p, xP, wp, bP, out, scratch);
    const got = k.readF32(out, want.length);
    const vsRef = describeMismatch(got, want, firstMismatch(got, want, tol));
    if (vsRef !== 'ok' || !split) return { check: vsRef, out: got };
    const outS = k.alloc(want.length * 4);
    e.fconvPad(p, xP, scratch);
    const fail = runSplit(k, outS, c.n * oh, ow * c.o * 4, split, (a, b, t) => e.bwnconv2dRange(a, b, t, p, xP, wp, bP, outS, scratch));
    const gotS = k.readF32(outS, want.length);
    const i = firstMismatch(gotS, got);
    return { check: fail ?? (i < 0 ? 'ok' : `split ${split}: ${describeMismatch(gotS, got, i)}`), out: got };
  } finally {
    k.release(mark);
  }
}

// No multiply-add in the kernel: the plain and the FMA build give the same bits.
describe('BWN table conv matches the reference and is the same in every float build', () => {
  it.each(grid().map((c) => [name(c), c] as const))('%s', async (_n, c) => {
    const [plain, fma] = await Promise.all(FLOAT_BUILDS.map((b) => kernels(b)));
    const a = runBwn(plain, c), b = runBwn(fma, c);
    expect(a.check).toBe('ok');
    expect(b.check).toBe('ok');
    expect(firstMismatch(b.out, a.out)).toBe(-1);
  });
});

describe('bwnconv2dRange split over 2 or 3 threads equals bwnconv2d exactly', () => {
  it.each(grid().filter((_, i) => i % 2 === 0).map((c, i) => [`${name(c)} threads=${2 + (i % 2)}`, c, 2 + (i % 2)] as const))('%s', async (_n, c, parts) => {
    expect(runBwn(await kernels('plain'), c, parts).check).toBe('ok');
  });
});

describe('the BWN table tests can fail', () => {
  it('one flipped weight bit is detected', async () => {
    const c = grid().at(-2)!;
    expect(runBwn(await kernels('plain'), c, 0, true).check).not.toBe('ok');
  });
});
