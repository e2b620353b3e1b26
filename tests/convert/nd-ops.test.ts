// The N-D float ops added for imported graphs (src/ops/spec.ts: Unary, Arith, Transpose,
// Reshape, Pad, Concat, GroupConv2D, dilated MaxPool): each as a one-node model run by the WASM
// runtime (prepare + kernel, assembly/float/nd.ts) against the reference interpreter over a
// grid of shapes and attributes, with seeded data. Copies are exact; arithmetic is exact or
// within float rounding of the f64 reference.

import { describe, expect, it } from 'vitest';
import type { XnnGraph, XnnModel } from '../../src/format/xnn.js';
import { validateModel } from '../../src/format/validate.js';
import type { Attrs, OpName } from '../../src/ops/spec.js';
import { runReference } from '../../src/reference/interpreter.js';
import { createWasmBackend } from '../../src/runtime/wasm-backend.js';
import { mulberry32 } from '../helpers/rng.js';

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

function oneNode(op: OpName, xShape: number[], consts: [number[], Float32Array][], attrs: Attrs): XnnModel {
  const tensors: XnnGraph['tensors'] = new Map();
  consts.forEach(([shape, data], i) => tensors.set(`k${i}`, { dtype: 'f32', shape, data }));
  const last = xShape[xShape.length - 1];
  return validateModel({
    metadata: {
      name: 'nd',
      input: { shape: xShape, layout: xShape.length === 4 ? 'NHWC' : 'ND', colorOrder: 'NONE', valueRange: [0, 1] },
      preprocess: { resizeShortSide: null, centerCrop: null, mean: Array(last).fill(0), std: Array(last).fill(1) },
      labels: [],
      output: { kind: 'logits' },
      accuracy: [],
      provenance: { source: 'tests' },
    },
    inputs: [{ name: 'x', dtype: 'f32', shape: xShape }],
    outputs: ['y'],
    tensors,
    nodes: [{ name: 'y', op, inputs: ['x', ...consts.map((_, i) => `k${i}`)], outputs: ['y'], attrs }],
  });
}

async function compare(op: OpName, xShape: number[], consts: [number[], Float32Array][], attrs: Attrs, tol = 0, seed = 1) {
  const r = mulberry32(seed);
  const model = oneNode(op, xShape, consts, attrs);
  const x = Float32Array.from({ length: size(xShape) }, () => r() * 4 - 2);
  x[0] = 0; // Sign(0) = 0, Clip/LeakyRelu at 0
  const want = runReference(model, x).output.data;
  const backend = await createWasmBackend(model);
  const got = backend.run(x);
  backend.dispose?.();
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) - tol * Math.max(1, Math.abs(want[i])));
  expect(worst, `${op} [${xShape}] ${JSON.stringify(attrs)}`).toBeLessThanOrEqual(0);
}

const rand = (n: number, seed: number, lo = -1, hi = 1) => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
};

describe('N-D float ops: WASM runtime = reference', () => {
  it('Unary sqrt = the correctly rounded f32 square root', async () => {
    const model = oneNode('Unary', [3, 5, 7], [], { fn: 'sqrt' });
    const x = rand(105, 9, 0, 1e6);
    x[0] = 0;
    x[1] = 2;
    const backend = await createWasmBackend(model);
    const got = backend.run(x);
    backend.dispose?.();
    expect(Array.from(got)).toEqual(Array.from(runReference(model, x).output.data));
    expect(got[1]).toBe(Math.fround(Math.SQRT2));
  });
  for (const fn of ['sigmoid', 'sign', 'abs', 'neg', 'leakyRelu', 'clip', 'floor'])
    for (const shape of [[7], [2, 3, 5], [1, 4, 4, 3]])
      it(`Unary ${fn} [${shape}]`, () => compare('Unary', shape, [], { fn, alpha: fn === 'clip' ? -0.5 : 0.1, beta: fn === 'clip' ? 1.25 : 0 }, fn === 'sigmoid' ? 1e-6 : 0));

  const bshapes: [number[], number[]][] = [[[2, 3, 4], [2, 3, 4]], [[2, 3, 4], [1, 1, 4]], [[2, 3, 4], [1, 3, 1]], [[1, 5, 5, 8], [1, 1, 1, 8]], [[3, 1, 4], [3, 5, 4]], [[6], [1]]];
  for (const fn of ['add', 'sub', 'mul', 'div', 'prelu', 'max', 'min'])
    for (const [a, b] of bshapes)
      it(`Arith ${fn} [${a}] ∘ [${b}]`, () => compare('Arith', a, [[b, rand(size(b), size(b), fn === 'div' ? 0.5 : -1, 2)]], { fn }, 1e-7));

  for (const [shape, perm] of [[[2, 3, 4], [2, 0, 1]], [[2, 3, 4], [1, 0, 2]], [[1, 4, 5, 3], [0, 3, 1, 2]], [[2, 3, 4, 5], [3, 2, 1, 0]], [[5, 7], [1, 0]]] as [number[], number[]][])
    it(`Transpose [${shape}] perm [${perm}]`, () => compare('Transpose', shape, [], { perm }));

  it('Reshape [2,3,4] → [4,6]', () => compare('Reshape', [2, 3, 4], [], { shape: [4, 6] }));

  for (const mode of ['constant', 'reflect', 'edge'])
    for (const [shape, pads] of [[[1, 5, 6, 3], [0, 1, 2, 0, 0, 2, 1, 0]], [[3, 4], [1, 2, 2, 1]], [[2, 3, 4], [0, 0, 3, 1, 2, 0]]] as [number[], number[]][])
      it(`Pad ${mode} [${shape}] pads [${pads}]`, () => compare('Pad', shape, [], { pads, mode, value: 1.5 }));

  for (const [shape, other, axis] of [[[1, 4, 4, 3], [1, 4, 4, 5], 3], [[2, 3, 4], [2, 1, 4], 1], [[2, 3], [4, 3], 0], [[1, 2, 3, 4], [1, 2, 3, 1], 3]] as [number[], number[], number][])
    it(`Concat [${shape}] + [${other}] + [${other}] axis ${axis}`, () =>
      compare('Concat', shape, [[other, rand(size(other), 3)], [other, rand(size(other), 4)]], { axis }));

  for (const [c, o, g, k, s, p, d] of [[4, 4, 4, 3, 1, 1, 1], [6, 9, 3, 3, 2, 1, 1], [8, 8, 2, 1, 1, 0, 1], [4, 8, 4, 3, 1, 2, 2], [3, 6, 3, 5, 2, 2, 1]])
    for (const relu of [false, true])
      it(`GroupConv2D c=${c} o=${o} group=${g} k=${k} s=${s} p=${p} d=${d} relu=${relu}`, () =>
        compare(
          'GroupConv2D',
          [2, 7, 6, c],
          [[[o, k, k, c / g], rand(o * k * k * (c / g), o + k)], [[o], rand(o, 9)]],
          { group: g, strides: [s, s], pads: [p, p, p, p], dilations: [d, d], activation: relu ? 'relu' : 'none' },
          1e-5,
        ));

  for (const [k, s, d, p] of [[2, 1, 2, 0], [3, 2, 2, 1], [2, 1, 3, 1]])
    it(`MaxPool k=${k} s=${s} dilations=${d} pads=${p}`, () =>
      compare('MaxPool', [1, 9, 8, 5], [], { kernel: [k, k], strides: [s, s], dilations: [d, d], pads: [p, p, p, p] }));
});
