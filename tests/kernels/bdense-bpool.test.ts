import { describe, expect, it } from 'vitest';
import { packBits } from '../../src/ops/bits.js';
import { kernels, mulberry32, randFloats, randSigns, refOp, tensor, firstMismatch, describeMismatch } from './helpers.js';

describe('bdense equals the reference exactly', () => {
  for (const K of [1, 63, 64, 65, 127, 128, 200, 1000, 4100])
    for (const [N, O] of [[1, 1], [3, 5], [1, 17], [3, 64], [2, 2]])
      for (const s of ['scalar', 'simd', 'hybrid'] as const) {
        const relu = (K + O) % 2 === 0;
        const withK = (K + N) % 2 === 0;
        it(`bdense n=${N} k=${K} o=${O} relu=${relu} kmap=${withK} popcount=${s}`, async () => {
          const k = await kernels();
          const r = mulberry32(K * 31 + O);
          const x = randSigns(r, N * K), w = randSigns(r, O * K);
          const mul = randFloats(r, O, 0.3), bias = randFloats(r, O, 2);
          const kmap = withK ? randFloats(r, N, 3).map(Math.abs) : null;
          const ins = [tensor([N, K], x), tensor([O, K], w), tensor([O], mul), tensor([O], bias)];
          if (kmap) ins.push(tensor([N, 1], kmap));
          const want = refOp('BinDense', ins, { activation: relu ? 'relu' : 'none' }).data;
          const mark = k.mark();
          const y = k.alloc(N * O * 4);
          k.setPopcount(s);
          k.exports.bdense(k.putBytes(packBits(x, [N, K])), k.putBytes(packBits(w, [O, K])), y, N, O, K, k.putF32(mul), k.putF32(bias), kmap ? k.putF32(kmap) : 0, relu ? 1 : 0);
          const got = k.readF32(y, N * O);
          k.release(mark);
          expect(describeMismatch(got, want, firstMismatch(got, want))).toBe('ok');
        });
      }
});

describe('bmaxpool (AND of bits) equals the float max-pool of ±1 exactly', () => {
  const POOLS: { k: [number, number]; s: [number, number]; pads: [number, number, number, number] }[] = [
    { k: [2, 2], s: [2, 2], pads: [0, 0, 0, 0] },
    { k: [3, 3], s: [2, 2], pads: [1, 1, 1, 1] },
    { k: [3, 2], s: [1, 2], pads: [2, 0, 1, 1] },
    { k: [1, 1], s: [1, 1], pads: [0, 0, 0, 0] },
  ];
  for (const C of [1, 3, 31, 64, 65, 128, 256])
    for (const p of POOLS)
      for (const build of ['release', 'debug'] as const) {
        const n = C % 2 === 0 ? 3 : 1;
        it(`bmaxpool ${build} n=${n} c=${C} k=${p.k.join('x')} s=${p.s.join('x')} pads=${p.pads.join(',')} in=7x9`, async () => {
          const k = await kernels(build);
          const r = mulberry32(C * 7 + p.k[0]);
          // bias towards -1 so that all-(-1) windows (output -1) actually occur
          const x = Float32Array.from({ length: n * 7 * 9 * C }, () => (r() < 0.8 ? -1 : 1));
          const ref = refOp('MaxPool', [tensor([n, 7, 9, C], x)], { kernel: p.k, strides: p.s, pads: p.pads });
          const want = packBits(ref.data, ref.shape);
          const [, oh, ow] = ref.shape;
          const mark = k.mark();
          const prm = k.putConvParams({ n, h: 7, w: 9, c: C, kh: p.k[0], kw: p.k[1], strides: p.s, pads: p.pads });
          const out = k.alloc(want.length);
          k.exports.bmaxpool(prm, k.putBytes(packBits(x, [n, 7, 9, C])), out);
          const got = k.readBytes(out, want.length);
          k.release(mark);
          expect(oh * ow * n * Math.ceil(C / 64) * 8).toBe(want.length);
          expect(describeMismatch(got, want, firstMismatch(got, want))).toBe('ok');
        });
      }
});
