// The run() edge of converted models (src/runtime/layout.ts): an ONNX model's NCHW tensor is
// transposed once to the NHWC storage layout, NHWC stays accepted, and an input recorded as an
// integer or bool type must hold values of that type.

import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { nchwToNhwc, toModelLayout } from '../../src/runtime/layout.js';
import type { InputSpec, Tensor } from '../../src/types.js';

const spec = (extra: Partial<InputSpec> = {}): InputSpec => ({ shape: [1, 2, 3, 4], layout: 'NHWC', colorOrder: 'NONE', valueRange: [0, 1], ...extra });
const iota = (n: number) => Float32Array.from({ length: n }, (_, i) => i);

describe('toModelLayout', () => {
  it('transposes a [N,C,H,W] tensor of a model with sourceLayout NCHW to NHWC', () => {
    const x = iota(24); // NCHW [1,4,2,3]: value = ((c·2 + h)·3 + w)
    const y = toModelLayout({ shape: [1, 4, 2, 3], data: x }, spec({ sourceLayout: 'NCHW' })) as Tensor;
    expect(y.shape).toEqual([1, 2, 3, 4]);
    for (let h = 0; h < 2; h++) for (let w = 0; w < 3; w++) for (let c = 0; c < 4; c++) expect(y.data[(h * 3 + w) * 4 + c]).toBe((c * 2 + h) * 3 + w);
    expect(nchwToNhwc(x, [1, 4, 2, 3])).toEqual(y.data);
  });

  it('keeps NHWC tensors, bare arrays, models without a source layout, and C = H = W shapes as they are', () => {
    const nhwc: Tensor = { shape: [1, 2, 3, 4], data: iota(24) };
    expect(toModelLayout(nhwc, spec({ sourceLayout: 'NCHW' }))).toBe(nhwc);
    const bare = iota(24);
    expect(toModelLayout(bare, spec({ sourceLayout: 'NCHW' }))).toBe(bare);
    const nchw: Tensor = { shape: [1, 4, 2, 3], data: iota(24) };
    expect(toModelLayout(nchw, spec())).toBe(nchw); // run() then reports the shape mismatch
    const cube: Tensor = { shape: [1, 3, 3, 3], data: iota(27) };
    expect(toModelLayout(cube, spec({ shape: [1, 3, 3, 3], sourceLayout: 'NCHW' }))).toBe(cube);
  });

  it('an integer or bool input must hold integers of its range', () => {
    expect(() => toModelLayout(Float32Array.of(0, 255, 7), spec({ shape: [3], layout: 'ND', elementType: 'uint8' }))).not.toThrow();
    expect(() => toModelLayout(Float32Array.of(0, 256), spec({ shape: [2], layout: 'ND', elementType: 'uint8' }))).toThrow(new InputError('input[1] is 256: the model takes uint8 values (integers 0..255)'));
    expect(() => toModelLayout(Float32Array.of(1, 0.5), spec({ shape: [2], layout: 'ND', elementType: 'bool' }))).toThrow(/input\[1\] is 0.5: the model takes bool values/);
    expect(() => toModelLayout(Float32Array.of(-129), spec({ shape: [1], layout: 'ND', elementType: 'int8' }))).toThrow(InputError);
  });
});
