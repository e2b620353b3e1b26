// Small ONNX graphs built in TypeScript (no Python needed) that exercise the float ops and
// the binary patterns in forms export_onnx does not produce (MatMul, Reshape, Sub/Div,
// auto_pad, ceil_mode, Constant nodes …). onnxruntime-node is the oracle.

import { describe, expect, it } from 'vitest';
import { onnxParity } from '../../scripts/onnx-parity.js';
import { convertOnnx } from '../../src/convert/onnx.js';
import { runReference } from '../../src/reference/interpreter.js';
import { createWasmBackend } from '../../src/runtime/wasm-backend.js';
import { binaryWeights, model, node, rand, tensor } from '../fixtures/onnx-build.js';

async function expectOrtParity(bytes: Uint8Array, n = 5) {
  const r = await onnxParity(bytes, { n, seed: 7 });
  expect(r.vsOrt!.maxRel, r.vsOrt!.rel.join(' ')).toBeLessThan(1e-5);
  expect(r.vsOrt!.argmaxAgree).toBe(n);
  return r;
}

describe('ONNX float ops vs onnxruntime', () => {
  it('Sub/Div consts, Conv SAME_UPPER s2 + bias, Tanh, MaxPool ceil_mode, padded AveragePool, Mul/Add consts, Reshape, MatMul+Add, Dropout, Softmax', async () => {
    const bytes = model({
      inputDims: ['N', 3, 9, 9],
      output: 'prob',
      nodes: [
        node('Sub', ['input', 'mean'], ['a']),
        node('Div', ['a', 'std'], ['b']),
        node('Conv', ['b', 'w1', 'b1'], ['c'], { auto_pad: 'SAME_UPPER', strides: [2, 2], kernel_shape: [3, 3] }),
        node('Tanh', ['c'], ['d']),
        node('MaxPool', ['d'], ['e'], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }),
        node('AveragePool', ['e'], ['f'], { kernel_shape: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 }),
        node('Mul', ['f', 'gain'], ['g']),
        node('Add', ['off', 'g'], ['h']),
        node('Relu', ['h'], ['i']),
        node('Identity', ['i'], ['j']),
        node('Reshape', ['j', 'shape'], ['k']),
        node('MatMul', ['k', 'w2'], ['l']),
        node('Add', ['l', 'b2'], ['m']),
        node('Dropout', ['m'], ['n']),
        node('Softmax', ['n'], ['prob'], { axis: 1 }),
      ],
      inits: [
        tensor('mean', [1, 3, 1, 1], [0.4, 0.5, 0.6]),
        tensor('std', [], [0.25]),
        tensor('w1', [8, 3, 3, 3], rand(216, 1)),
        tensor('b1', [8], rand(8, 2)),
        tensor('gain', [8, 1, 1], rand(8, 3, 0.5, 2)),
        tensor('off', [1], [0.1]),
        tensor('shape', [2], [0, -1], 'i64'),
        tensor('w2', [128, 10], rand(1280, 4)),
        tensor('b2', [10], rand(10, 5)),
      ],
    });
    const r = await expectOrtParity(bytes);
    expect(r.ops).toEqual(['BatchNorm', 'BatchNorm', 'Conv2D', 'Tanh', 'MaxPool', 'AvgPool', 'BatchNorm', 'BatchNorm', 'Relu', 'Flatten', 'Dense', 'Softmax']);
    expect(convertOnnx(bytes).metadata.output.kind).toBe('probabilities');
  });

  it('sign → MaxPool → binary Conv (pads), GlobalMaxPool, Flatten, BatchNorm1d, sign → binary MatMul, Gemm with alpha/beta and a Constant bias', async () => {
    const bytes = model({
      inputDims: [1, 3, 6, 6],
      output: 'out',
      nodes: [
        node('BatchNormalization', ['input', 'g', 'be', 'mu', 'var'], ['bn'], { epsilon: { f: 1e-3 } }),
        node('GreaterOrEqual', ['bn', 'zero'], ['ge']),
        node('Where', ['ge', 'one', 'minus'], ['s']),
        node('MaxPool', ['s'], ['sp'], { kernel_shape: [2, 2], strides: [2, 2] }),
        node('Conv', ['sp', 'wb', 'bb'], ['y'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
        node('GlobalMaxPool', ['y'], ['gp']),
        node('Flatten', ['gp'], ['fl']),
        node('BatchNormalization', ['fl', 'g2', 'be2', 'mu2', 'var2'], ['bn2']),
        node('GreaterOrEqual', ['bn2', 'zero'], ['ge2']),
        node('Where', ['ge2', 'one', 'minus'], ['s2']),
        node('MatMul', ['s2', 'wm'], ['z']),
        node('Constant', [], ['cb'], { value: { t: tensor('', [1, 5], rand(5, 9)) } }),
        node('Gemm', ['z', 'wg', 'cb'], ['out'], { alpha: { f: 0.5 }, beta: { f: 2 } }),
      ],
      inits: [
        tensor('g', [3], rand(3, 1, 0.5, 1.5)),
        tensor('be', [3], rand(3, 2)),
        tensor('mu', [3], rand(3, 3, 0.3, 0.7)),
        tensor('var', [3], rand(3, 4, 0.05, 0.2)),
        tensor('zero', [], [0]),
        tensor('one', [], [1]),
        tensor('minus', [], [-1]),
        tensor('wb', [16, 3, 3, 3], binaryWeights(16, 27, 5)),
        tensor('bb', [16], rand(16, 6)),
        tensor('g2', [16], rand(16, 7, 0.5, 1.5)),
        tensor('be2', [16], rand(16, 8)),
        tensor('mu2', [16], rand(16, 10, 0, 2)),
        tensor('var2', [16], rand(16, 11, 0.5, 2)),
        // MatMul weight [K, O]: column o is ±α_o.
        tensor('wm', [16, 8], (() => { const t = binaryWeights(8, 16, 12); return Float32Array.from({ length: 128 }, (_, i) => t[(i % 8) * 16 + Math.floor(i / 8)]); })()),
        tensor('wg', [8, 5], rand(40, 13)),
      ],
    });
    const r = await expectOrtParity(bytes, 8);
    expect(r.ops).toEqual(['BatchNorm', 'MaxPool', 'Binarize', 'BinConv2D', 'MaxPool', 'Flatten', 'BatchNorm', 'Binarize', 'BinDense', 'Dense']);
    const m = convertOnnx(bytes);
    expect(m.order.find((n) => n.op === 'BinConv2D')!.attrs.padValue).toBe('zero');
    // MaxPool(sign(x)) = sign(MaxPool(x)): the pool runs on floats, the sign after it.
    expect(m.order.find((n) => n.op === 'MaxPool')!.inputs[0]).toBe('bn');
  });

  it('a Flatten of C×H×W permutes the next BatchNormalization and Gemm columns to NHWC order', async () => {
    const bytes = model({
      inputDims: [1, 3, 4, 5],
      output: 'out',
      nodes: [
        node('Flatten', ['input'], ['f']),
        node('BatchNormalization', ['f', 'g', 'b', 'm', 'v'], ['bn']),
        node('Add', ['bn', 'shift'], ['a']),
        node('Gemm', ['a', 'w', 'c'], ['out'], { transB: 1 }),
      ],
      inits: [
        tensor('g', [60], rand(60, 1, 0.5, 2)),
        tensor('b', [60], rand(60, 2)),
        tensor('m', [60], rand(60, 3)),
        tensor('v', [60], rand(60, 4, 0.5, 2)),
        tensor('shift', [60], rand(60, 5)),
        tensor('w', [7, 60], rand(420, 6)),
        tensor('c', [7], rand(7, 7)),
      ],
    });
    await expectOrtParity(bytes);
  });
});

describe('the K map of a binary fully connected layer (BinDense kmap, 2-D InputScale)', () => {
  // Mul(Gemm(sign(x), ±α, 0), ReduceMean(Abs(x), [1])) then Add(bias), Relu: as XNORLinear
  // with input_scale exports it.
  const bytes = model({
    inputDims: [1, 3, 4, 4],
    output: 'out',
    nodes: [
      node('Flatten', ['input'], ['f']),
      node('BatchNormalization', ['f', 'g', 'b', 'm', 'v'], ['x']),
      node('GreaterOrEqual', ['x', 'zero'], ['ge']),
      node('Where', ['ge', 'one', 'minus'], ['s']),
      node('Gemm', ['s', 'w', 'c0'], ['y'], { transB: 1 }, 'fc'),
      node('Abs', ['x'], ['a']),
      node('ReduceMean', ['a'], ['k'], { axes: [1], keepdims: 1 }),
      node('Mul', ['y', 'k'], ['yk'], {}, 'fc_K'),
      node('Add', ['yk', 'bias'], ['z']),
      node('Relu', ['z'], ['out']),
    ],
    inits: [
      tensor('g', [48], rand(48, 1, 0.5, 2)),
      tensor('b', [48], rand(48, 2)),
      tensor('m', [48], rand(48, 3, 0.3, 0.7)),
      tensor('v', [48], rand(48, 4, 0.05, 0.2)),
      tensor('zero', [], [0]),
      tensor('one', [], [1]),
      tensor('minus', [], [-1]),
      tensor('w', [70, 48], binaryWeights(70, 48, 5)),
      tensor('c0', [70], new Float32Array(70)),
      tensor('bias', [70], rand(70, 6)),
    ],
  });

  it('converts to InputScale + BinDense(kmap, relu) and matches onnxruntime', async () => {
    const m = convertOnnx(bytes);
    expect(m.order.map((n) => n.op)).toEqual(['Flatten', 'BatchNorm', 'Binarize', 'InputScale', 'BinDense']);
    const fc = m.order.find((n) => n.op === 'BinDense')!;
    expect(fc.attrs.activation).toBe('relu');
    expect(m.types.get(fc.inputs[4])).toEqual({ dtype: 'f32', shape: [1, 1] });
    await expectOrtParity(bytes, 8);
  });

  it('the WASM runtime equals the reference interpreter (K sums in a different order: 1e-6)', async () => {
    const m = convertOnnx(bytes);
    const wasm = await createWasmBackend(m);
    for (let i = 0; i < 8; i++) {
      const x = rand(48, 100 + i, 0, 1);
      const got = wasm.run(x);
      const want = runReference(m, x).output.data;
      const scale = Math.max(...Array.from(want, Math.abs));
      want.forEach((v, j) => expect(Math.abs(got[j] - v)).toBeLessThanOrEqual(1e-6 * scale));
    }
  });
});

describe('integer stems (issue 13) in ONNX imports', () => {
  it('a Conv on the input with power-of-two-grid weights and an integer input range is marked integerStem', () => {
    const grid = Array.from(rand(8 * 27, 11), (v) => Math.round(v * 64) / 64); // multiples of 2^-6
    const stem = (w: ArrayLike<number>) => model({ inputDims: [1, 3, 6, 6], output: 'y', nodes: [node('Conv', ['input', 'w'], ['y'], { pads: [1, 1, 1, 1] })], inits: [tensor('w', [8, 3, 3, 3], w)] });
    const marked = (bytes: Uint8Array, valueRange: [number, number]) => convertOnnx(bytes, { valueRange }).nodes.filter((n) => n.attrs.integerStem).length;
    expect(marked(stem(grid), [0, 255])).toBe(1);
    expect(marked(stem(rand(8 * 27, 11)), [0, 255])).toBe(0); // weights off any coarse grid
    expect(marked(stem(grid), [-0.5, 0.5])).toBe(0); // no integer input range
  });
});
