// The glue ops' *Range entry points (assembly/ranges.ts, fmaxpoolRange, fdenseRange), as the kernel pool
// (src/wasm/pool.ts) splits them over 2 or 3 threads: every split equals the whole-call kernel
// byte for byte, and a thread's range writes only its own rows (runSplit).
import { describe, expect, it } from 'vitest';
import { wordsPerRow } from '../../src/ops/bits.js';
import { convOutSize, type XnorKernels } from '../../src/wasm/kernels.js';
import { FLOAT_BUILDS, kernels, mulberry32, randFloats, runSplit } from './helpers.js';

/** Runs `whole(out)` and the split `range` into a second buffer; '' when their bytes agree. */
function compare(k: XnorKernels, total: number, itemBytes: number, parts: number,
  whole: (out: number) => void, range: (out: number, a: number, b: number, t: number) => void): string {
  const mark = k.mark();
  try {
    const bytes = total * itemBytes;
    const want = k.alloc(bytes);
    const got = k.alloc(bytes);
    whole(want);
    const fail = runSplit(k, got, total, itemBytes, parts, (a, b, t) => range(got, a, b, t));
    if (fail) return fail;
    const u = k.u8();
    for (let i = 0; i < bytes; i++) if (u[got + i] !== u[want + i]) return `byte ${i}: split ${u[got + i]}, whole ${u[want + i]}`;
    return '';
  } finally {
    k.release(mark);
  }
}

const PARTS = [2, 3];

describe('fmaxpoolRange over 2 or 3 threads equals fmaxpool', () => {
  const POOLS: { k: [number, number]; s: [number, number]; pads: [number, number, number, number] }[] = [
    { k: [3, 3], s: [2, 2], pads: [1, 1, 1, 1] },
    { k: [2, 2], s: [2, 2], pads: [0, 0, 0, 0] },
    { k: [3, 2], s: [1, 2], pads: [2, 0, 1, 1] },
  ];
  for (const C of [1, 5, 64])
    for (const p of POOLS)
      for (const parts of PARTS)
        it(`c=${C} k=${p.k.join('x')} s=${p.s.join('x')} pads=${p.pads.join(',')} in=2x11x9 threads=${parts}`, async () => {
          const k = await kernels();
          const g = { n: 2, h: 11, w: 9, c: C, kh: p.k[0], kw: p.k[1], strides: p.s, pads: p.pads };
          const [oh, ow] = convOutSize({ ...g, dilations: [1, 1], o: C });
          const prm = k.putConvParams(g);
          const x = k.putF32(randFloats(mulberry32(C + parts), 2 * 11 * 9 * C));
          expect(compare(k, 2 * oh, ow * C * 4, parts,
            (y) => k.exports.fmaxpool(prm, x, y),
            (y, a, b, t) => k.exports.fmaxpoolRange(a, b, t, prm, x, y))).toBe('');
        });
});

describe('pack / packAffine / scaleShift / fadd ranges over 2 or 3 threads equal the whole call', () => {
  const rows = 13;
  for (const C of [1, 3, 17, 64, 130])
    for (const parts of PARTS) {
      const setup = async () => {
        const k = await kernels();
        const r = mulberry32(C * 7 + parts);
        const x = k.putF32(randFloats(r, rows * C));
        const s = k.putF32(randFloats(r, C));
        const t = k.putF32(randFloats(r, C, 0.5));
        return { k, x, s, t, bitRow: wordsPerRow(C) * 8 };
      };
      it(`packRange c=${C} threads=${parts}`, async () => {
        const { k, x, bitRow } = await setup();
        expect(compare(k, rows, bitRow, parts, (o) => k.exports.pack(x, o, rows, C),
          (o, a, b, th) => k.exports.packRange(a, b, th, x, o, C))).toBe('');
      });
      it(`packAffineRange c=${C} threads=${parts}`, async () => {
        const { k, x, s, t, bitRow } = await setup();
        expect(compare(k, rows, bitRow, parts, (o) => k.exports.packAffine(x, o, rows, C, s, t),
          (o, a, b, th) => k.exports.packAffineRange(a, b, th, x, o, C, s, t))).toBe('');
      });
      for (const relu of [0, 1])
        it(`scaleShiftRange c=${C} relu=${relu} threads=${parts}`, async () => {
          const { k, x, s, t } = await setup();
          expect(compare(k, rows, C * 4, parts, (o) => k.exports.scaleShift(x, o, rows, C, s, t, relu),
            (o, a, b, th) => k.exports.scaleShiftRange(a, b, th, x, o, C, s, t, relu))).toBe('');
        });
      it(`faddRange n=${rows * C} threads=${parts}`, async () => {
        const { k, x } = await setup();
        // the second operand: x one row on (rows − 1 rows of both stay inside x)
        const n = (rows - 1) * C;
        expect(compare(k, n, 4, parts, (o) => k.exports.fadd(x, x + C * 4, o, n),
          (o, a, b, th) => k.exports.faddRange(a, b, th, x, x + C * 4, o))).toBe('');
      });
    }
});

describe.each(FLOAT_BUILDS)('fdenseRange over 2 or 3 threads equals fdense (%s build)', (build) => {
  // output ranges split the blocks of 4 outputs fdense computes together
  for (const [N, K, O] of [[1, 512, 1000], [1, 7, 5], [2, 65, 17], [3, 16, 2]])
    for (const relu of [0, 1])
      for (const parts of PARTS)
        it(`n=${N} k=${K} o=${O} relu=${relu} threads=${parts}`, async () => {
          const k = await kernels(build);
          const r = mulberry32(N * K + O + parts);
          const x = k.putF32(randFloats(r, N * K)), w = k.putF32(randFloats(r, O * K)), b = k.putF32(randFloats(r, O));
          // the split writes outputs [o0, o1) of every row: compare whole [N, O] outputs, split by output column
          const mark = k.mark();
          try {
            const want = k.alloc(N * O * 4), got = k.alloc(N * O * 4);
            k.exports.fdense(x, w, b, want, N, K, O, relu);
            k.u8().fill(0xa5, got, got + N * O * 4);
            const ranges = Array.from({ length: parts }, (_, t) => [Math.floor((O * t) / parts), Math.floor((O * (t + 1)) / parts)]);
            for (const t of [...ranges.keys()].reverse()) k.exports.fdenseRange(ranges[t][0], ranges[t][1], t, x, w, b, got, N, K, O, relu);
            expect(Buffer.from(k.u8().subarray(got, got + N * O * 4)).equals(Buffer.from(k.u8().subarray(want, want + N * O * 4)))).toBe(true);
            // the Dense op's blocked kernel: the same bits over any split
            const wb = k.alloc(k.exports.fdenseBlockedBytes(K, O));
            k.exports.fdensePrepareBlocked(w, wb, K, O);
            k.u8().fill(0xa5, got, got + N * O * 4);
            for (const t of [...ranges.keys()].reverse()) k.exports.fdenseBlockedRange(ranges[t][0], ranges[t][1], t, x, wb, b, got, N, K, O, relu);
            expect(Buffer.from(k.u8().subarray(got, got + N * O * 4)).equals(Buffer.from(k.u8().subarray(want, want + N * O * 4)))).toBe(true);
          } finally {
            k.release(mark);
          }
        });
});
