// The exact integer stem (assembly/float/istem.ts): weights on a power-of-two grid per output
// channel (q · 2^e, |q| <= 127, e per channel) and integer inputs; istem2d must equal fconv2d
// (the float conv, plain mul + add and fma) BIT FOR BIT over the float-conv grid
// (DW = 1), with every split over 2 or 3 threads equal too; inputs that are not integers within
// the limit are refused (the runtime then runs fconv2d).
import { describe, expect, it } from 'vitest';
import { integerGrid } from '../../src/runtime/int-stem.js';
import { convOutSize, type XnorKernels } from '../../src/wasm/kernels.js';
import { FLOAT_BUILDS, kernels, mulberry32, randFloats, randInt, runSplit, firstMismatch, describeMismatch } from './helpers.js';

interface ICase {
  n: number; h: number; w: number; c: number; o: number; kh: number; kw: number;
  s: [number, number]; dh: number; pads: [number, number, number, number]; relu: boolean; bias: boolean; seed: number;
}
const name = (c: ICase) =>
  `istem n=${c.n} c=${c.c} o=${c.o} k=${c.kh}x${c.kw} s=${c.s.join('x')} dh=${c.dh} pads=${c.pads.join(',')} in=${c.h}x${c.w}${c.relu ? ' relu' : ''}${c.bias ? ' bias' : ''}`;

function cases(): ICase[] {
  const out: ICase[] = [];
  let seed = 300;
  for (const c of [1, 2, 3, 8, 17])
    for (const [kh, kw] of [[1, 1], [3, 3], [5, 5], [7, 7], [3, 5], [1, 7], [11, 11]] as [number, number][])
      for (const s of [1, 2, 4]) {
        seed++;
        const o = [1, 5, 8, 17, 64, 32][seed % 6];
        const pads: [number, number, number, number] = [kh >> 1, kw >> 1, seed % 2 ? kh >> 1 : 0, kw - 1 - (kw >> 1)];
        out.push({ n: seed % 4 === 0 ? 2 : 1, h: Math.max(kh, 5) + (seed % 3), w: Math.max(kw, 5) + 2 + (seed % 4), c, o, kh, kw, s: [s, s], dh: seed % 7 === 0 ? 2 : 1, pads, relu: seed % 3 === 0, bias: seed % 5 !== 1, seed });
      }
  // the stems: CIFAR 3x3/1 c3, ImageNet 7x7/2 c3, AlexNet 11x11/4 c3
  out.push({ n: 1, h: 32, w: 32, c: 3, o: 128, kh: 3, kw: 3, s: [1, 1], dh: 1, pads: [1, 1, 1, 1], relu: true, bias: true, seed: 1 });
  out.push({ n: 1, h: 28, w: 28, c: 1, o: 32, kh: 3, kw: 3, s: [1, 1], dh: 1, pads: [1, 1, 1, 1], relu: true, bias: true, seed: 2 });
  out.push({ n: 1, h: 37, w: 35, c: 3, o: 64, kh: 7, kw: 7, s: [2, 2], dh: 1, pads: [3, 3, 3, 3], relu: false, bias: true, seed: 3 });
  out.push({ n: 1, h: 47, w: 45, c: 3, o: 20, kh: 11, kw: 11, s: [4, 4], dh: 1, pads: [2, 2, 2, 2], relu: true, bias: false, seed: 4 });
  return out;
}

interface Setup { p: number; x: number; wf: number; wi: number; g: number; b: number; scratch: number; outF: number; outI: number; len: number; limit: number; rows: number; rowBytes: number }

/** Integer pixels in [lo, hi]; weights q · 2^e per channel, |q| <= 127. */
function setup(k: XnorKernels, c: ICase, lo = 0, hi = 255): Setup {
  const r = mulberry32(c.seed);
  const per = c.kh * c.kw * c.c;
  const w = new Float32Array(c.o * per);
  for (let o = 0; o < c.o; o++) {
    const e = -randInt(r, 4, 20);
    for (let i = 0; i < per; i++) w[o * per + i] = randInt(r, -127, 127) * 2 ** e;
  }
  const grid = integerGrid(w, c.o)!;
  // within the exact range (the 11x11 c17 windows are too wide for all of 0..255)
  const x = Float32Array.from({ length: c.n * c.h * c.w * c.c }, () => randInt(r, Math.max(lo, -grid.limit), Math.min(hi, grid.limit)));
  const bias = randFloats(r, c.o, 0.7);
  const e = k.exports;
  const geom = { n: c.n, h: c.h, w: c.w, c: c.c, o: c.o, kh: c.kh, kw: c.kw, strides: c.s, dilations: [c.dh, 1] as [number, number], pads: c.pads, relu: c.relu };
  const [oh, ow] = convOutSize(geom);
  const p = k.putConvParams(geom);
  const wf = k.alloc(e.fconvWeightsBytes(p));
  e.fconvPrepareWeights(p, k.putF32(w), wf);
  const wi = k.alloc(e.istemWeightsBytes(p));
  e.istemPrepareWeights(p, k.putI32(grid.q), wi);
  const len = c.n * oh * ow * c.o;
  return {
    p, x: k.putF32(x), wf, wi, g: k.putF32(grid.g), b: c.bias ? k.putF32(bias) : 0,
    scratch: k.alloc(Math.max(e.fconvScratchBytes(p), e.istemScratchBytes(p))),
    outF: k.alloc(len * 4), outI: k.alloc(len * 4), len, limit: grid.limit, rows: c.n * oh, rowBytes: ow * c.o * 4,
  };
}

function run(k: XnorKernels, c: ICase, split = 0): string {
  const mark = k.mark();
  try {
    const e = k.exports;
    const s = setup(k, c);
    e.fconv2d(s.p, s.x, s.wf, s.b, s.outF, s.scratch);
    const want = k.readF32(s.outF, s.len);
    k.u8().fill(0xa5, s.outI, s.outI + s.len * 4);
    if (!split) {
      if (e.istem2d(s.p, s.x, s.wi, s.g, s.b, s.outI, s.scratch, s.limit) !== 1) return 'refused';
    } else {
      if (e.istemPad(s.p, s.x, s.scratch, s.limit) !== 1) return 'refused';
      const fail = runSplit(k, s.outI, s.rows, s.rowBytes, split, (a, b, t) => e.istemRange(a, b, t, s.p, s.wi, s.g, s.b, s.outI, s.scratch));
      if (fail) return fail;
    }
    const got = k.readF32(s.outI, s.len);
    return describeMismatch(got, want, firstMismatch(got, want));
  } finally {
    k.release(mark);
  }
}

describe.each(FLOAT_BUILDS)('istem2d equals fconv2d bit for bit on grid weights and integer inputs (%s build)', (build) => {
  it.each(cases().map((c) => [name(c), c] as const))('%s', async (_n, c) => {
    expect(run(await kernels(build), c)).toBe('ok');
  });
});

describe('istemRange split over 2 or 3 threads equals fconv2d bit for bit', () => {
  it.each(cases().filter((_, i) => i % 3 === 0).map((c, i) => [`${name(c)} threads=${2 + (i % 2)}`, c, 2 + (i % 2)] as const))('%s', async (_n, c, parts) => {
    expect(run(await kernels('release'), c, parts)).toBe('ok');
  });
  it('the debug build (asserts on) agrees on the stems', async () => {
    for (const c of cases().slice(-4)) expect(run(await kernels('debug'), c)).toBe('ok');
  });
});

describe('istemPad refuses inputs the integer stem cannot take exactly', () => {
  const c: ICase = { n: 1, h: 6, w: 7, c: 3, o: 8, kh: 3, kw: 3, s: [1, 1], dh: 1, pads: [1, 1, 1, 1], relu: false, bias: true, seed: 9 };
  for (const [what, v] of [['a fraction', 12.5], ['NaN', NaN], ['+Infinity', Infinity], ['a value past the limit', 1e6], ['-limit - 1', -40000]] as const)
    it(`${what}`, async () => {
      const k = await kernels();
      const mark = k.mark();
      try {
        const s = setup(k, c);
        expect(k.exports.istemPad(s.p, s.x, s.scratch, s.limit)).toBe(1);
        k.writeF32(s.x + 4 * 17, [v]);
        expect(k.exports.istemPad(s.p, s.x, s.scratch, Math.min(s.limit, 32767))).toBe(0);
        expect(k.exports.istem2d(s.p, s.x, s.wi, s.g, s.b, s.outI, s.scratch, s.limit)).toBe(0);
      } finally {
        k.release(mark);
      }
    });
  it('negative integers within the limit are taken, and exact', async () => {
    const k = await kernels();
    const mark = k.mark();
    try {
      const s = setup(k, c, -255, 255);
      k.exports.fconv2d(s.p, s.x, s.wf, s.b, s.outF, s.scratch);
      expect(k.exports.istem2d(s.p, s.x, s.wi, s.g, s.b, s.outI, s.scratch, s.limit)).toBe(1);
      expect([...k.readF32(s.outI, s.len)]).toEqual([...k.readF32(s.outF, s.len)]);
    } finally {
      k.release(mark);
    }
  });
});

describe('integerGrid', () => {
  it('finds the coarsest power-of-two grid per channel and the exact input limit', () => {
    const g = integerGrid(Float32Array.from([0.5, -1.5, 0, 0.25, 3, 0]), 2)!;
    expect([...g.g]).toEqual([0.5, 0.25]);
    expect([...g.q]).toEqual([1, -3, 0, 1, 12, 0]);
    expect(g.limit).toBe(32767); // min(i16, 2^24 / 13)
    expect(integerGrid(Float32Array.from({ length: 300 }, () => 127), 1)!.limit).toBe(Math.floor(2 ** 24 / (300 * 127)));
    // f32 values are dyadic, but |q| must fit 16 bits (0.1f = 13421773 · 2^-27)
    expect(integerGrid(Float32Array.from([0.1, 0.2]), 1)).toBeNull();
    expect(integerGrid(Float32Array.from([1, 2 ** -30]), 1)).toBeNull();
    expect(integerGrid(Float32Array.from([NaN]), 1)).toBeNull();
  });
});
