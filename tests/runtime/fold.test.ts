import { describe, expect, it } from 'vitest';
import { foldSignThresholds } from '../../src/runtime/fold.js';

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

  it('refuses non-finite parameters', () => {
    const one = new Float32Array([1]);
    expect(foldSignThresholds(9, one, one, false, new Float32Array([NaN]), one)).toBeNull();
  });
});
