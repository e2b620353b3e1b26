import { describe, expect, it } from 'vitest';
import { FLOAT_BUILDS, kernels, mulberry32, randFloats, refOp, tensor, firstMismatch, describeMismatch } from './helpers.js';
import type { XnorKernels } from '../../src/wasm/kernels.js';

const rel = (want: ArrayLike<number>, r = 1e-5, a = 1e-6) => (i: number) => r * Math.abs(want[i]) + a;

function check(got: Float32Array, want: ArrayLike<number>, tol?: (i: number) => number) {
  expect(describeMismatch(got, want, firstMismatch(got, want, tol))).toBe('ok');
}

/** Allocates inputs, runs fn, reads n floats from the returned pointer, releases. */
function withMem(k: XnorKernels, n: number, fn: (out: number) => void): Float32Array {
  const mark = k.mark();
  try {
    const out = k.alloc(n * 4);
    fn(out);
    return k.readF32(out, n);
  } finally {
    k.release(mark);
  }
}

describe.each(FLOAT_BUILDS)('float dense (%s build)', (build) => {
  for (const [N, K, O] of [[1, 1, 1], [3, 7, 5], [1, 512, 1000], [2, 65, 17]])
    for (const relu of [false, true])
      it(`fdense n=${N} k=${K} o=${O} relu=${relu}`, async () => {
        const k = await kernels(build);
        const r = mulberry32(N * K + O);
        const x = randFloats(r, N * K), w = randFloats(r, O * K), b = randFloats(r, O);
        const want = refOp('Dense', [tensor([N, K], x), tensor([O, K], w), tensor([O], b)], { activation: relu ? 'relu' : 'none' }).data;
        const got = withMem(k, N * O, (y) => k.exports.fdense(k.putF32(x), k.putF32(w), k.putF32(b), y, N, K, O, relu ? 1 : 0));
        check(got, want, (i) => 2e-6 * K + 1e-6);
      });
});

// The Dense op's kernel: fdense's sums from blocked weights (one weight stream), bit for bit.
describe.each(FLOAT_BUILDS)('fdenseBlocked equals fdense bit for bit (%s build)', (build) => {
  for (const [N, K, O] of [[1, 1, 1], [3, 7, 5], [1, 512, 1000], [2, 65, 17], [1, 4096, 6], [2, 18, 3]])
    for (const relu of [0, 1])
      it(`n=${N} k=${K} o=${O} relu=${relu}`, async () => {
        const k = await kernels(build);
        const r = mulberry32(7 * N * K + O);
        const mark = k.mark();
        try {
          const x = k.putF32(randFloats(r, N * K)), w = k.putF32(randFloats(r, O * K)), b = k.putF32(randFloats(r, O));
          const wb = k.alloc(k.exports.fdenseBlockedBytes(K, O));
          k.u8().fill(0xa5, wb, wb + k.exports.fdenseBlockedBytes(K, O)); // the padding rows must be written
          k.exports.fdensePrepareBlocked(w, wb, K, O);
          const want = k.alloc(N * O * 4), got = k.alloc(N * O * 4);
          k.exports.fdense(x, w, b, want, N, K, O, relu);
          k.exports.fdenseBlocked(x, wb, b, got, N, K, O, relu);
          expect(Buffer.from(k.u8().subarray(got, got + N * O * 4)).equals(Buffer.from(k.u8().subarray(want, want + N * O * 4)))).toBe(true);
        } finally {
          k.release(mark);
        }
      });
});

describe('float elementwise', () => {
  for (const C of [1, 3, 4, 17, 64]) {
    const rows = 5;
    it(`scaleShift (BatchNorm folded) c=${C} exact`, async () => {
      const k = await kernels();
      const r = mulberry32(C);
      const x = randFloats(r, rows * C, 3), s = randFloats(r, C, 2), t = randFloats(r, C);
      const want = refOp('BatchNorm', [tensor([rows, C], x), tensor([C], s), tensor([C], t)]).data;
      check(withMem(k, rows * C, (y) => k.exports.scaleShift(k.putF32(x), y, rows, C, k.putF32(s), k.putF32(t), 0)), want);
      const wantRelu = refOp('Relu', [tensor([rows, C], want)]).data;
      check(withMem(k, rows * C, (y) => k.exports.scaleShift(k.putF32(x), y, rows, C, k.putF32(s), k.putF32(t), 1)), wantRelu);
    });
    it(`relu / tanh / add / softmax c=${C}`, async () => {
      const k = await kernels();
      const r = mulberry32(100 + C);
      const x = randFloats(r, rows * C, 4), b = randFloats(r, rows * C, 4);
      const n = rows * C;
      check(withMem(k, n, (y) => k.exports.frelu(k.putF32(x), y, n)), refOp('Relu', [tensor([rows, C], x)]).data);
      check(withMem(k, n, (y) => k.exports.ftanh(k.putF32(x), y, n)), refOp('Tanh', [tensor([rows, C], x)]).data, () => 2e-7);
      check(withMem(k, n, (y) => k.exports.fadd(k.putF32(x), k.putF32(b), y, n)), refOp('Add', [tensor([rows, C], x), tensor([rows, C], b)]).data);
      const sm = refOp('Softmax', [tensor([rows, C], x)]).data;
      check(withMem(k, n, (y) => k.exports.fsoftmax(k.putF32(x), y, rows, C)), sm, rel(sm));
    });
  }
});

describe('float pools', () => {
  const POOLS: { k: [number, number]; s: [number, number]; pads: [number, number, number, number] }[] = [
    { k: [2, 2], s: [2, 2], pads: [0, 0, 0, 0] },
    { k: [3, 3], s: [2, 2], pads: [1, 1, 1, 1] },
    { k: [3, 2], s: [1, 2], pads: [2, 0, 1, 1] },
  ];
  for (const C of [1, 3, 8, 17])
    for (const p of POOLS) {
      const tag = `c=${C} k=${p.k.join('x')} s=${p.s.join('x')} pads=${p.pads.join(',')} in=7x9 n=2`;
      it(`fmaxpool ${tag}`, async () => {
        const k = await kernels();
        const x = randFloats(mulberry32(C), 2 * 7 * 9 * C);
        const ref = refOp('MaxPool', [tensor([2, 7, 9, C], x)], { kernel: p.k, strides: p.s, pads: p.pads });
        const prm = { n: 2, h: 7, w: 9, c: C, kh: p.k[0], kw: p.k[1], strides: p.s, pads: p.pads };
        check(withMem(k, ref.data.length, (y) => k.exports.fmaxpool(k.putConvParams(prm), k.putF32(x), y)), ref.data);
      });
      for (const inc of [false, true])
        it(`favgpool ${tag} countIncludePad=${inc}`, async () => {
          const k = await kernels();
          const x = randFloats(mulberry32(C + 50), 2 * 7 * 9 * C);
          const ref = refOp('AvgPool', [tensor([2, 7, 9, C], x)], { kernel: p.k, strides: p.s, pads: p.pads, countIncludePad: inc });
          const prm = { n: 2, h: 7, w: 9, c: C, kh: p.k[0], kw: p.k[1], strides: p.s, pads: p.pads };
          check(withMem(k, ref.data.length, (y) => k.exports.favgpool(k.putConvParams(prm), k.putF32(x), y, inc ? 1 : 0)), ref.data, rel(ref.data));
        });
    }
  for (const C of [1, 5, 64])
    it(`fglobalAvgPool n=2 c=${C} in=7x7`, async () => {
      const k = await kernels();
      const x = randFloats(mulberry32(C + 9), 2 * 49 * C);
      const ref = refOp('GlobalAvgPool', [tensor([2, 7, 7, C], x)]);
      check(withMem(k, 2 * C, (y) => k.exports.fglobalAvgPool(k.putF32(x), y, 2, 49, C)), ref.data, rel(ref.data));
    });
});

describe('K map (XNOR-Net input scale)', () => {
  for (const [C, kh, kw, s, d, pads] of [
    [3, 3, 3, 1, 1, [1, 1, 1, 1]], [64, 3, 3, 2, 1, [1, 1, 1, 1]], [17, 5, 3, 1, 2, [2, 1, 0, 2]], [5, 1, 1, 1, 1, [0, 0, 0, 0]],
  ] as [number, number, number, number, number, [number, number, number, number]][])
    it(`kmap c=${C} k=${kh}x${kw} s=${s} d=${d} pads=${pads.join(',')} in=9x11 n=2`, async () => {
      const k = await kernels();
      const x = randFloats(mulberry32(C * kh), 2 * 9 * 11 * C, 2);
      const attrs = { kernel: [kh, kw], strides: [s, s], dilations: [d, d], pads };
      const ref = refOp('InputScale', [tensor([2, 9, 11, C], x)], attrs);
      const got = withMem(k, ref.data.length, (y) => {
        const p = k.putConvParams({ n: 2, h: 9, w: 11, c: C, kh, kw, strides: [s, s], dilations: [d, d], pads });
        k.exports.kmap(p, k.putF32(x), y, k.alloc(k.exports.kmapScratchBytes(p)));
      });
      check(got, ref.data, rel(ref.data));
    });
});
