// Integer and bool tensors in imported ONNX graphs (src/convert/onnx/elem-types.ts): carried
// as exact f32 values, with ONNX's integer semantics where f32 alone would differ (wraparound,
// integer division), refused where f32 cannot be exact; bool results of comparisons, Where on
// a bool input, and outputs the graph computes without its input (a Dropout mask, a Shape).

import { describe, expect, it } from 'vitest';
import { convertOnnx } from '../../src/convert/onnx.js';
import { UnsupportedOpError } from '../../src/errors.js';
import { readXnn, writeXnn } from '../../src/format/index.js';
import { runReference } from '../../src/reference/interpreter.js';
import { createWasmBackend } from '../../src/runtime/wasm-backend.js';
import { model, node, tensor, type TensorObj } from '../fixtures/onnx-build.js';

const UINT8 = 2, INT8 = 3, INT16 = 5, BOOL = 9;

/** A 1-byte-per-value tensor (UINT8, INT8, BOOL) or INT16. */
function ints(name: string, dims: number[], values: number[], dataType: number): TensorObj {
  const bytes = new Uint8Array(values.length * (dataType === INT16 ? 2 : 1));
  const dv = new DataView(bytes.buffer);
  values.forEach((v, i) => (dataType === INT16 ? dv.setInt16(2 * i, v, true) : dv.setUint8(i, v & 255)));
  return { name, dims, data_type: dataType, raw_data: bytes };
}

/** Converts, runs on the WASM runtime and the reference interpreter (which must agree), returns the output. */
async function run(bytes: Uint8Array, x: number[]): Promise<number[]> {
  const m = convertOnnx(bytes);
  const input = Float32Array.from(x);
  const backend = await createWasmBackend(m);
  const got = Array.from(backend.run(input));
  backend.dispose?.();
  expect(got).toEqual(Array.from(runReference(m, input).output.data));
  return got;
}

const binary = (op: string, t: number, k: TensorObj) => model({ inputDims: [4], inputType: t, output: 'y', nodes: [node(op, ['input', 'k'], ['y'])], inits: [k] });

describe('ONNX integer tensors: exact in f32, with ONNX semantics', () => {
  it('UINT8 Add/Sub/Mul wrap around modulo 256', async () => {
    expect(await run(binary('Add', UINT8, ints('k', [4], [100, 200, 255, 0], UINT8)), [200, 100, 255, 7])).toEqual([44, 44, 254, 7]);
    expect(await run(binary('Sub', UINT8, ints('k', [4], [1, 200, 0, 255], UINT8)), [0, 100, 255, 255])).toEqual([255, 156, 255, 0]);
    expect(await run(binary('Mul', UINT8, ints('k', [4], [17, 255, 2, 0], UINT8)), [16, 255, 128, 9])).toEqual([16, 1, 0, 0]);
  });

  it('INT8 Sub and Neg wrap in two’s complement', async () => {
    expect(await run(binary('Sub', INT8, ints('k', [4], [100, -100, 1, 0], INT8)), [-100, 100, -128, 127])).toEqual([56, -56, 127, 127]);
    const neg = model({ inputDims: [4], inputType: INT8, output: 'y', nodes: [node('Neg', ['input'], ['y'])] });
    expect(await run(neg, [-128, 5, 0, 127])).toEqual([-128, -5, 0, -127]);
  });

  it('UINT8 Div is the integer quotient; a divisor with a zero, INT16 Mul and Sigmoid-like ops are refused', async () => {
    expect(await run(binary('Div', UINT8, ints('k', [4], [7, 7, 7, 1], UINT8)), [255, 7, 6, 0])).toEqual([36, 1, 0, 0]);
    expect(() => convertOnnx(binary('Div', UINT8, ints('k', [4], [7, 0, 7, 1], UINT8)))).toThrow(/constant divisor without zeros/);
    expect(() => convertOnnx(binary('Mul', INT16, ints('k', [4], [1, 2, 3, 4], INT16)))).toThrow(UnsupportedOpError);
    const mean = model({ inputDims: [2, 2], inputType: UINT8, output: 'y', nodes: [node('ReduceMean', ['input'], ['y'], { axes: [1] })] });
    expect(() => convertOnnx(mean)).toThrow(/UINT8 tensors: ReduceMean/);
  });

  it('an INT32 input is refused (f32 holds its values exactly only to 2^24); the .xnn records the element type and the source layout', () => {
    const bytes = model({ inputDims: [4], inputType: 6, output: 'y', nodes: [node('Relu', ['input'], ['y'])] });
    expect(() => convertOnnx(bytes)).toThrow(/element type INT32 is not supported/);
    const back = readXnn(writeXnn(convertOnnx(binary('Add', UINT8, ints('k', [4], [1, 2, 3, 4], UINT8)))));
    expect(back.metadata.input.elementType).toBe('uint8');
    expect(back.metadata.input.sourceLayout).toBeUndefined(); // rank 1: one layout
    const image = model({ inputDims: [1, 3, 4, 4], inputType: UINT8, output: 'y', nodes: [node('MaxPool', ['input'], ['y'], { kernel_shape: [2, 2] })] });
    expect(readXnn(writeXnn(convertOnnx(image))).metadata.input).toMatchObject({ shape: [1, 4, 4, 3], sourceLayout: 'NCHW', elementType: 'uint8' });
  });
});

describe('ONNX bool tensors and constant outputs', () => {
  it('GreaterOrEqual(x, y) is 1 exactly where x >= y, ties and ±0 included', async () => {
    const bytes = model({ inputDims: [6], output: 'y', nodes: [node('GreaterOrEqual', ['input', 'k'], ['y'])], inits: [tensor('k', [6], [0.5, 0.5, 0.5, 0, -1e-30, 3e38])] });
    expect(await run(bytes, [0.5, Math.fround(0.5000001), 0.4999999, -0, -1e-30 * 1.0000001, -3e38])).toEqual([1, 1, 0, 1, 0, 0]);
  });

  it('Where(bool input, x, y) selects exactly; x >= 0 not read by the sign pattern is 0/1', async () => {
    const where = model({ inputDims: [4], inputType: BOOL, output: 'y', nodes: [node('Where', ['input', 'a', 'b'], ['y'])], inits: [tensor('a', [4], [1.5, -2, 3e-38, 7]), tensor('b', [1], [-0.25])] });
    expect(await run(where, [1, 0, 1, 0])).toEqual([1.5, -0.25, Math.fround(3e-38), -0.25]);
    const ge0 = model({ inputDims: [3], output: 'y', nodes: [node('GreaterOrEqual', ['input', 'z'], ['y'])], inits: [tensor('z', [], [0])] });
    expect(await run(ge0, [-1, 0, 2])).toEqual([0, 1, 1]);
  });

  it('a Dropout mask and a Shape are outputs the runtime returns without reading the input', async () => {
    const mask = model({ inputDims: [2, 3], output: 'm', nodes: [node('Dropout', ['input'], ['y', 'm'])] });
    expect(await run(mask, [1, 2, 3, 4, 5, 6])).toEqual([1, 1, 1, 1, 1, 1]);
    const shape = model({ inputDims: [1, 3, 5, 7], output: 's', nodes: [node('Shape', ['input'], ['s'])] });
    expect(await run(shape, new Array(105).fill(0))).toEqual([1, 3, 5, 7]);
  });
});
