import { describe, expect, it } from 'vitest';
import { checkTensorData } from '../../src/format/validate.js';

describe('checkTensorData: f32 values must be finite', () => {
  const t = (data: Float32Array) => ({ dtype: 'f32' as const, shape: [data.length], data });

  it('accepts every finite value, extremes and signed zeros included', () => {
    const data = Float32Array.of(0, -0, 1, -1, 3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -1e-45, 1.1754943508222875e-38);
    expect(() => checkTensorData('w', t(data))).not.toThrow();
  });

  it('names the first non-finite element, wherever it is', () => {
    for (const v of [NaN, Infinity, -Infinity])
      for (const at of [0, 1, 4, 999]) {
        const data = new Float32Array(1000).fill(0.5);
        data[at] = v;
        if (at !== 999) data[999] = NaN;
        expect(() => checkTensorData('w', t(data))).toThrow(new RegExp(`tensor "w": element ${at} is not finite \\(${v}\\)`));
      }
  });

  it('reads a view at an offset into a larger buffer', () => {
    const buf = new Float32Array(16).fill(2);
    buf[3] = -Infinity;
    expect(() => checkTensorData('w', t(buf.subarray(4)))).not.toThrow();
    expect(() => checkTensorData('w', t(buf.subarray(2)))).toThrow(/element 1 is not finite/);
  });
});
