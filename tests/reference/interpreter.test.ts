import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { validateModel } from '../../src/format/validate.js';
import { readXnn } from '../../src/format/read.js';
import { writeXnn } from '../../src/format/write.js';
import { packBits } from '../../src/ops/bits.js';
import { runReference } from '../../src/reference/interpreter.js';
import { metadata, rng, tinyGraph } from '../helpers/tiny-model.js';
import { expectThrows } from '../helpers/errors.js';

describe('runReference', () => {
  it('computes a hand-checked binary dense layer', () => {
    const m = validateModel({
      metadata: metadata([1, 1, 1, 3], []),
      inputs: [{ name: 'x', dtype: 'f32', shape: [1, 1, 1, 3] }],
      outputs: ['y'],
      tensors: new Map([
        ['w', { dtype: 'b1' as const, shape: [2, 3], data: packBits([1, -1, 1, -1, -1, -1], [2, 3]) }],
        ['mul', { dtype: 'f32' as const, shape: [2], data: Float32Array.of(2, 0.5) }],
        ['bias', { dtype: 'f32' as const, shape: [2], data: Float32Array.of(1, 0) }],
      ]),
      nodes: [
        { name: 'flat', op: 'Flatten', inputs: ['x'], outputs: ['flat'], attrs: {} },
        { name: 'sign', op: 'Binarize', inputs: ['flat'], outputs: ['sign'], attrs: {} },
        { name: 'fc', op: 'BinDense', inputs: ['sign', 'w', 'mul', 'bias'], outputs: ['y'], attrs: {} },
      ],
    });
    // signs [+1, −1, +1]; dots 3 and −1; y = mul·dot + bias.
    const r = runReference(m, Float32Array.of(0.5, -2, 0), { keep: true });
    expect([...r.output.data]).toEqual([7, -0.5]);
    expect(r.output.shape).toEqual([1, 2]);
    expect([...r.values!.get('sign')!.data]).toEqual([1, -1, 1]);
    expect([...r.values!.get('w')!.data]).toEqual([1, -1, 1, -1, -1, -1]);
  });

  it('runs the tiny model from a file: probabilities, every value kept on request', () => {
    const m = readXnn(writeXnn(tinyGraph()));
    const r = rng(3);
    const input = Float32Array.from({ length: 6 * 6 * 3 }, () => r());
    const plain = runReference(m, input);
    expect(plain.values).toBeUndefined();
    expect(plain.output.shape).toEqual([1, 4]);
    expect(plain.output.data.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const kept = runReference(m, input, { keep: true });
    expect(kept.output.data).toEqual(plain.output.data);
    for (const n of m.nodes) expect(kept.values!.get(n.outputs[0])!.shape).toEqual(m.types.get(n.outputs[0])!.shape);
    // Binarized activations are ±1 and BinConv2D outputs are mul·(integer dot) + bias.
    expect(kept.values!.get('sign')!.data.every((v) => v === 1 || v === -1)).toBe(true);
  });

  it('rejects an input of the wrong size', () => {
    const m = validateModel(tinyGraph());
    expectThrows(() => runReference(m, new Float32Array(5)), InputError, 'input "data" needs a Float32Array of 108 values [1,6,6,3]');
  });
});
