// What the ONNX importer refuses, and how: UnsupportedOpError naming the node and op for what
// .xnn cannot express, ConvertError for malformed files.

import { describe, expect, it } from 'vitest';
import { convertOnnx } from '../../src/convert/onnx.js';
import { ConvertError, UnsupportedOpError } from '../../src/errors.js';
import { expectThrows } from '../helpers/errors.js';
import { binaryWeights, model, node, rand, tensor, type NodeObj, type TensorObj } from '../fixtures/onnx-build.js';

const signNodes = (x: string, out: string) => [
  node('GreaterOrEqual', [x, 'zero'], [`${out}_ge`]),
  node('Where', [`${out}_ge`, 'one', 'minus'], [out]),
];
const signInits = [tensor('zero', [], [0]), tensor('one', [], [1]), tensor('minus', [], [-1])];

function conv(nodes: NodeObj[], inits: TensorObj[] = [], output = 'y', inputDims: (number | string)[] = ['N', 3, 6, 6]) {
  return model({ inputDims, output, nodes, inits: [...signInits, ...inits] });
}

function expectError(bytes: Uint8Array, type: typeof ConvertError | typeof UnsupportedOpError, message: string | RegExp) {
  expectThrows(() => convertOnnx(bytes), type, message);
}

const w8 = tensor('w', [8, 3, 3, 3], rand(216, 1));

describe('ONNX import errors', () => {
  it('an unsupported op names the node and op', () => {
    expectError(conv([node('Erf', ['input'], ['y'], {}, 'Erf_3')]), UnsupportedOpError, 'node "Erf_3" (Erf): op Erf is not supported');
    expectError(conv([node('Celu', ['input'], ['y'], {}, 'celu')]), UnsupportedOpError, 'node "celu" (Celu): op Celu is not supported');
  });

  it('data types are named, not numbered', () => {
    expectError(
      conv([node('Concat', ['input', 'k'], ['y'], { axis: 1 }, 'cat')], [tensor('k', [1, 1, 6, 6], new Array(36).fill(2 ** 25), 'i64')]),
      UnsupportedOpError,
      'node "cat" (Concat): input 1 "k" (INT64) holds 33554432, beyond the integers f32 holds exactly (2^24)',
    );
  });

  it('a grouped binary conv', () => {
    const w = tensor('w', [8, 1, 3, 3], binaryWeights(8, 9, 1));
    expectError(
      conv([...signNodes('input', 's'), node('Conv', ['s', 'w'], ['y'], { group: 3 }, 'Conv_12')], [tensor('w', [9, 1, 3, 3], binaryWeights(9, 9, 1))]),
      UnsupportedOpError,
      'node "Conv_12" (Conv): a grouped (group=3) binary convolution is not supported',
    );
    expect(w.dims).toEqual([8, 1, 3, 3]);
  });

  it('non-binary weights in a binary (sign-input) Conv or Gemm', () => {
    expectError(
      conv([...signNodes('input', 's'), node('Conv', ['s', 'w'], ['y'], { pads: [1, 1, 1, 1] }, 'bconv')], [w8]),
      UnsupportedOpError,
      /^node "bconv" \(Conv\): the weights "w" of this binary \(XNOR\) layer are not ±α per output channel: output channel 0 has \|w\| = /,
    );
    const wg = binaryWeights(5, 108, 3);
    wg[150] *= 1.0001; // one weight of output 1 off by a little is not ±α
    expectError(
      conv([node('Flatten', ['input'], ['f']), ...signNodes('f', 's'), node('Gemm', ['s', 'wg'], ['y'], { transB: 1 }, 'fc')], [tensor('wg', [5, 108], wg)]),
      UnsupportedOpError,
      /^node "fc" \(Gemm\): the weights "wg" of this binary \(XNOR\) layer are not ±α per output: output 1 has/,
    );
  });

  it('truncated or garbage protobuf', () => {
    const good = conv([node('Conv', ['input', 'w'], ['y'], {}, 'c')], [w8]);
    expect(() => convertOnnx(good)).not.toThrow();
    expectError(good.subarray(0, good.length - 40), ConvertError, /^not a valid ONNX model/);
    expectError(good.subarray(0, 30), ConvertError, /^not a valid ONNX model/);
    expectError(new TextEncoder().encode('this is not an onnx file at all'), ConvertError, /^not a valid ONNX model/);
    expectError(new Uint8Array(0), ConvertError, /^not a valid ONNX model/);
  });

  it('a missing initializer or a tensor whose data does not fit its dims', () => {
    expectError(conv([node('Conv', ['input', 'nope'], ['y'], {}, 'c')]), ConvertError, 'node "c" (Conv): input 1 "nope" is neither a graph input, an initializer nor the output of an earlier node');
    const bad = { ...w8, raw_data: w8.raw_data.subarray(0, 100) };
    expectError(conv([node('Conv', ['input', 'w'], ['y'], {}, 'c')], [bad]), ConvertError, 'initializer "w": tensor "w": raw_data has 100 bytes, dims [8,3,3,3] need 864');
    expectError(conv([node('Conv', ['input', 'w'], ['z'], {}, 'c')], [w8], 'y'), ConvertError, 'graph output "y" is not produced by any node');
  });

  it('partial patterns used in ways .xnn cannot express', () => {
    // The K map multiplied into a float conv.
    const box = tensor('box', [1, 1, 3, 3], new Array(9).fill(1 / 9));
    expectError(
      conv([
        node('Conv', ['input', 'w'], ['c'], { pads: [1, 1, 1, 1] }),
        node('Abs', ['input'], ['a']),
        node('ReduceMean', ['a'], ['am'], { axes: [1], keepdims: 1 }),
        node('Conv', ['am', 'box'], ['k'], { pads: [1, 1, 1, 1] }),
        node('Mul', ['c', 'k'], ['y'], {}, 'kmul'),
      ], [w8, box]),
      UnsupportedOpError,
      /^node "kmul" \(Mul\): multiplies by XNOR-Net's K/,
    );
    // A ±1 tensor used as a float.
    expectError(conv([...signNodes('input', 's'), node('Relu', ['s'], ['y'], {}, 'r')]), UnsupportedOpError, /^node "r" \(Relu\): input 0 "s" is the ±1 output of a sign activation/);
    // A reshape of a ±1 tensor that is not a flatten.
    expectError(conv([...signNodes('input', 's'), node('Reshape', ['s', 'shp'], ['y'], {}, 'rs')], [tensor('shp', [3], [1, 3, 36], 'i64')]), UnsupportedOpError, /^node "rs" \(Reshape\): input 0 "s" is the ±1 output of a sign activation/);
    // An attribute the importer does not know.
    expectError(conv([node('Conv', ['input', 'w'], ['y'], { foo: 1 }, 'c')], [w8]), UnsupportedOpError, 'node "c" (Conv): attribute "foo" is not supported');
    // Where that is not the sign pattern is cond·x + (1 − cond)·y: not for an infinite x (0·inf).
    expectError(
      conv([node('GreaterOrEqual', ['input', 'zero'], ['ge']), node('Where', ['ge', 'inf', 'zero'], ['y'], {}, 'wh')], [tensor('inf', [], [Infinity])]),
      UnsupportedOpError,
      'node "wh" (Where): input 1 "inf" holds a non-finite value (0·inf is not 0)',
    );
  });

  it('input shapes: symbolic H/W need inputSize; a fixed batch > 1 or 4 channels make a plain tensor input', () => {
    const bytes = conv([node('Conv', ['input', 'w'], ['y'], {}, 'c')], [w8], 'y', ['N', 3, 'H', 'W']);
    expectError(bytes, ConvertError, 'graph input "input": the height is symbolic; give it with --input-size');
    expect(convertOnnx(bytes, { inputSize: [7, 9] }).inputs[0].shape).toEqual([1, 7, 9, 3]);
    expect(() => convertOnnx(bytes, { inputSize: [7, 9], channels: 1 })).toThrow('graph input "input": --channels 1 does not match the model\'s channel count 3');
    const w4 = tensor('w', [2, 4, 3, 3], rand(72, 1));
    const m4 = convertOnnx(conv([node('Conv', ['input', 'w'], ['y'], {}, 'c')], [w4], 'y', [1, 4, 6, 6]));
    expect(m4.metadata.input).toMatchObject({ shape: [1, 6, 6, 4], layout: 'NHWC', colorOrder: 'NONE' });
    expect(convertOnnx(conv([node('Conv', ['input', 'w'], ['y'], {}, 'c')], [w8], 'y', [2, 3, 6, 6])).inputs[0].shape).toEqual([2, 6, 6, 3]);
    expect(convertOnnx(conv([node('Conv', ['input', 'w'], ['y'], {}, 'c')], [w8], 'y', ['N', 3, 6, 6]), { batch: 4 }).inputs[0].shape).toEqual([4, 6, 6, 3]);
    expectError(conv([node('Relu', ['input'], ['y'], {}, 'r')], [], 'y', [1, 'L', 5]), ConvertError, 'graph input "input": dimension 1 is symbolic; only the batch (dimension 0) may be');
  });
});
