// The edge of Model.run for converted models: a tensor in the source layout (ONNX: NCHW) is
// transposed once here, and integer/bool inputs are checked (src/convert/onnx/elem-types.ts).

import { InputError } from '../errors.js';
import type { InputSpec, Tensor } from '../types.js';

const RANGES: Record<NonNullable<InputSpec['elementType']>, [number, number]> = {
  bool: [0, 1],
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
};

/** [N, C, H, W] of a model input declared [N, H, W, C]. */
export const nchwShape = (nhwc: readonly number[]): number[] => [nhwc[0], nhwc[3], nhwc[1], nhwc[2]];

/** NCHW data → NHWC (one pass; `out` is written and returned). */
export function nchwToNhwc(x: Float32Array, [n, c, h, w]: readonly number[], out = new Float32Array(x.length)): Float32Array {
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let i = 0; i < h; i++) {
        const src = ((b * c + ch) * h + i) * w;
        const dst = (b * h + i) * w * c + ch;
        for (let j = 0; j < w; j++) out[dst + j * c] = x[src + j];
      }
  return out;
}

/**
 * The input in the model's storage layout. A Tensor of the source layout's shape (NCHW
 * [N, C, H, W] for an ONNX image input) is transposed to NHWC; a Tensor of the declared
 * shape, or a bare Float32Array, is taken as it is (when both shapes are equal, C = H = W, it
 * is read as NHWC). Anything else is returned unchanged for run()'s own shape check.
 * InputError when the values do not fit the source element type (`elementType`).
 */
export function toModelLayout(input: Tensor | Float32Array, spec: InputSpec): Tensor | Float32Array {
  let x = input;
  if (!(x instanceof Float32Array) && spec.sourceLayout === 'NCHW' && x && Array.isArray(x.shape) && x.data instanceof Float32Array) {
    const nchw = nchwShape(spec.shape);
    const same = (s: readonly number[]) => x instanceof Float32Array || (x.shape.length === s.length && x.shape.every((d, i) => d === s[i]));
    if (!same(spec.shape) && same(nchw) && x.data.length === nchw.reduce((a, b) => a * b, 1))
      x = { shape: [...spec.shape], data: nchwToNhwc(x.data, nchw) };
  }
  if (spec.elementType) {
    const [lo, hi] = RANGES[spec.elementType];
    const data = x instanceof Float32Array ? x : x?.data;
    if (data instanceof Float32Array)
      for (let i = 0; i < data.length; i++)
        if (!(Number.isInteger(data[i]) && data[i] >= lo && data[i] <= hi))
          throw new InputError(`input[${i}] is ${data[i]}: the model takes ${spec.elementType} values (integers ${lo}..${hi})`);
  }
  return x;
}
