import { describe, expect, it } from 'vitest';
import { foldSignThresholds } from '../../src/runtime/thresholds.js';

const f = Math.fround;

describe('foldSignThresholds', () => {
  it('reproduces the unfused float chain at every integer dot (seeded)', () => {
    let s = 12345;
    const r = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    for (const k of [1, 9, 64, 576, 4608]) {
      const o = 16;
      const mk = (g: () => number) => Float32Array.from({ length: o }, g);
      // Mixed signs and zero scale cover increasing, decreasing and constant channels.
      const mul = mk(() => (r() > -0.8 ? 0.5 : -r()));
      const bias = mk(() => k / 2 + r() * k);
      const scale = mk(() => (Math.abs(r()) < 0.1 ? 0 : r() * 3));
      const shift = mk(() => r() * 50);
      for (const relu of [false, true]) {
        const t = foldSignThresholds(k, mul, bias, relu, scale, shift)!;
        for (let c = 0; c < o; c++)
          for (let d = -k; d <= k; d++) {
            let y = f(f(mul[c] * d) + bias[c]);
            if (relu && y < 0) y = 0;
            const want = f(f(y * scale[c]) + shift[c]) >= 0;
            const got = t.dir[c] > 0 ? d >= t.thr[c] : d <= t.thr[c];
            if (got !== want) expect.fail(`k=${k} c=${c} d=${d} relu=${relu}`);
          }
      }
    }
  });

  it('is exact where f32 rounding moves the crossing far from the real-valued one', () => {
    // bias ~1e6: y = f32(f32(mul·d) + bias) moves in steps of 1/16, so the real-valued crossing
    // of (mul·d + bias)·scale + shift misses the exact one by several dots.
    const k = 4608;
    const mul = Float32Array.of(0.01, 0.003, -0.007, 0.01, 1e-4);
    const bias = Float32Array.of(1e6, 1e6, -1e6, 5e5, 1e6);
    const scale = Float32Array.of(1, -2, 1, 1, 1);
    const shift = Float32Array.of(-1000000.3, 2000000.05, 1000000.2, -500020.01, -1000000.2);
    for (const relu of [false, true]) {
      const t = foldSignThresholds(k, mul, bias, relu, scale, shift)!;
      for (let c = 0; c < mul.length; c++)
        for (let d = -k; d <= k; d++) {
          let y = f(f(mul[c] * d) + bias[c]);
          if (relu && y < 0) y = 0;
          const want = f(f(y * scale[c]) + shift[c]) >= 0;
          const got = t.dir[c] > 0 ? d >= t.thr[c] : d <= t.thr[c];
          if (got !== want) expect.fail(`c=${c} d=${d} relu=${relu}`);
        }
    }
  });

  it('refuses non-finite parameters', () => {
    const one = new Float32Array([1]);
    expect(foldSignThresholds(9, one, one, false, new Float32Array([NaN]), one)).toBeNull();
  });
});
