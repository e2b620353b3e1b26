import { describe, expect, it } from 'vitest';
import { packBits, packedBytes, paddingBitsClear } from '../../src/ops/bits.js';
import { kernels, mulberry32, randFloats, firstMismatch, describeMismatch } from './helpers.js';

const CHANNELS = [1, 3, 31, 32, 33, 63, 64, 65, 127, 128, 256];
const f = Math.fround;

/** Floats with the awkward values mixed in: ±0, NaN, ±Infinity, tiny. */
function nasty(seed: number, n: number): Float32Array {
  const r = mulberry32(seed);
  const special = [0, -0, NaN, Infinity, -Infinity, 1e-45, -1e-45];
  return Float32Array.from({ length: n }, () => (r() < 0.2 ? special[Math.floor(r() * special.length)] : (r() * 2 - 1) * 4));
}

describe('pack variants equal the TS packing of the reference signs', () => {
  for (const build of ['release', 'debug'] as const) {
    for (const C of CHANNELS) {
      const rows = C > 64 ? 5 : 9;
      it(`pack ${build} c=${C} rows=${rows} (x >= 0 -> +1, -0 -> +1, NaN -> -1)`, async () => {
        const k = await kernels(build);
        const x = nasty(C, rows * C);
        const want = packBits(Array.from(x, (v) => (v >= 0 ? 1 : -1)), [rows, C]);
        const mark = k.mark();
        const out = k.alloc(want.length);
        k.u8().fill(0xff, out, out + want.length);
        k.exports.pack(k.putF32(x), out, rows, C);
        const got = k.readBytes(out, want.length);
        k.release(mark);
        expect(describeMismatch(got, want, firstMismatch(got, want))).toBe('ok');
        expect(paddingBitsClear(got, [rows, C])).toBe(true);
      });

      it(`packThreshold ${build} c=${C} (both directions, exact ties)`, async () => {
        const k = await kernels(build);
        const r = mulberry32(1000 + C);
        const x = nasty(2000 + C, rows * C);
        const thr = randFloats(r, C, 2);
        const dir = Int32Array.from({ length: C }, () => (r() < 0.5 ? -1 : 1));
        for (let i = 0; i < x.length; i += 3) x[i] = thr[i % C]; // ties: x == thr
        const want = packBits(Array.from(x, (v, i) => ((dir[i % C] < 0 ? v <= thr[i % C] : v >= thr[i % C]) ? 1 : -1)), [rows, C]);
        const mark = k.mark();
        const out = k.alloc(want.length);
        k.exports.packThreshold(k.putF32(x), out, rows, C, k.putF32(thr), k.putI32(dir));
        const got = k.readBytes(out, want.length);
        k.release(mark);
        expect(describeMismatch(got, want, firstMismatch(got, want))).toBe('ok');
      });

      it(`packAffine ${build} c=${C} (f32 mul then add, no fma)`, async () => {
        const k = await kernels(build);
        const r = mulberry32(3000 + C);
        const x = nasty(4000 + C, rows * C);
        const s = randFloats(r, C, 3);
        const t = randFloats(r, C, 1);
        // make some x*s + t land on exactly 0 or within one rounding of it
        for (let i = 0; i < x.length; i += 4) x[i] = f(-t[i % C] / s[i % C]);
        const want = packBits(Array.from(x, (v, i) => (f(f(v * s[i % C]) + t[i % C]) >= 0 ? 1 : -1)), [rows, C]);
        const mark = k.mark();
        const out = k.alloc(packedBytes([rows, C]));
        k.exports.packAffine(k.putF32(x), out, rows, C, k.putF32(s), k.putF32(t));
        const got = k.readBytes(out, want.length);
        k.release(mark);
        expect(describeMismatch(got, want, firstMismatch(got, want))).toBe('ok');
      });
    }
  }
});
