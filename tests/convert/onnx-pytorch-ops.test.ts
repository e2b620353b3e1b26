// The forms plain-PyTorch BNN code exports (issue 17), built in TypeScript and compared with
// onnxruntime-node: weight binarization left as Sign/Abs/ReduceMean/Mul on the initializer
// (folded at conversion into ±α), ONNX's Sign on activations (→ Binarize), RSign (Sub of a
// per-channel constant before the Sign), Pad folded into the Conv/AveragePool after it,
// PRelu, Clip (Hardtanh), LeakyRelu, Sigmoid, Concat on channels, grouped and depthwise Conv,
// a dilated MaxPool, broadcast arithmetic, Transpose, Gemm transA, and the Sign(0) rule.

import { describe, expect, it } from 'vitest';
import { onnxParity } from '../../scripts/onnx-parity.js';
import { convertOnnx } from '../../src/convert/onnx.js';
import { writeXnn } from '../../src/format/write.js';
import { openModel as loadModel } from '../../src/runtime/model.js';
import { model, node, rand, tensor } from '../fixtures/onnx-build.js';

async function expectOrtParity(bytes: Uint8Array, n = 5) {
  const r = await onnxParity(bytes, { n, seed: 11 });
  expect(r.vsOrt!.maxRel, r.vsOrt!.rel.join(' ')).toBeLessThan(1e-5);
  expect(r.vsOrt!.argmaxAgree).toBe(n);
  return r;
}

/** Nodes of `sign(W) * mean(|W|, axes=[1,2,3])` on initializer w, output `name`. */
function binarizedWeight(w: string, name: string) {
  return [
    node('Sign', [w], [`${name}_s`]),
    node('Abs', [w], [`${name}_a`]),
    node('ReduceMean', [`${name}_a`], [`${name}_m`], { axes: [1, 2, 3], keepdims: 1 }),
    node('Mul', [`${name}_s`, `${name}_m`], [name]),
  ];
}

describe('plain-PyTorch BNN patterns vs onnxruntime', () => {
  it('RSign → Pad → binary Conv with weights binarized in the graph, BN, RPReLU, concat of two binary 1×1 convs, Hardtanh, Sigmoid, Gemm', async () => {
    const bytes = model({
      inputDims: [1, 3, 8, 8],
      output: 'out',
      nodes: [
        node('Conv', ['input', 'w0'], ['stem'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
        node('Sub', ['stem', 'beta'], ['shifted']),
        node('Sign', ['shifted'], ['s']),
        node('Pad', ['s', 'pads'], ['sp'], { mode: 'constant' }),
        ...binarizedWeight('w1', 'wb1'),
        node('Conv', ['sp', 'wb1'], ['c1'], { kernel_shape: [3, 3] }),
        node('BatchNormalization', ['c1', 'g', 'b', 'mu', 'var'], ['bn1']),
        node('Add', ['bn1', 'stem'], ['r1']),
        node('Sub', ['r1', 'gamma'], ['p0']),
        node('PRelu', ['p0', 'slope'], ['p1']),
        node('Add', ['p1', 'zeta'], ['act']),
        node('Sign', ['act'], ['s2']),
        ...binarizedWeight('w2', 'wb2'),
        ...binarizedWeight('w3', 'wb3'),
        node('Conv', ['s2', 'wb2'], ['c2']),
        node('Conv', ['s2', 'wb3'], ['c3']),
        node('Concat', ['c2', 'c3'], ['cat'], { axis: 1 }),
        node('Clip', ['cat', 'lo', 'hi'], ['ht']),
        node('LeakyRelu', ['ht'], ['lr'], { alpha: { f: 0.2 } }),
        node('Sigmoid', ['lr'], ['sg']),
        node('GlobalAveragePool', ['sg'], ['gap']),
        node('Flatten', ['gap'], ['f']),
        node('Gemm', ['f', 'fc'], ['out'], { transB: 1 }),
      ],
      inits: [
        tensor('w0', [8, 3, 3, 3], rand(216, 1)),
        tensor('beta', [1, 8, 1, 1], rand(8, 2, -0.2, 0.2)),
        tensor('pads', [8], [0, 0, 1, 1, 0, 0, 1, 1], 'i64'),
        tensor('w1', [8, 8, 3, 3], rand(576, 3)),
        tensor('g', [8], rand(8, 4, 0.5, 1.5)),
        tensor('b', [8], rand(8, 5)),
        tensor('mu', [8], rand(8, 6)),
        tensor('var', [8], rand(8, 7, 0.5, 2)),
        tensor('gamma', [1, 8, 1, 1], rand(8, 8, -0.1, 0.1)),
        tensor('slope', [8, 1, 1], rand(8, 9, 0.05, 0.3)),
        tensor('zeta', [1, 8, 1, 1], rand(8, 10, -0.1, 0.1)),
        tensor('w2', [8, 8, 1, 1], rand(64, 11)),
        tensor('w3', [8, 8, 1, 1], rand(64, 12)),
        tensor('lo', [], [-1]),
        tensor('hi', [], [1]),
        tensor('fc', [5, 16], rand(80, 13)),
      ],
    });
    const r = await expectOrtParity(bytes);
    expect(r.ops.filter((o) => o === 'BinConv2D')).toHaveLength(3);
    // The Pad became the binary conv's own zero padding; no Pad node is left.
    expect(r.ops).not.toContain('Pad');
    const m = convertOnnx(bytes);
    expect(m.order.find((n) => n.op === 'BinConv2D')!.attrs).toMatchObject({ pads: [1, 1, 1, 1], padValue: 'zero' });
  });

  it('grouped and depthwise Conv, Pad → AveragePool (count_include_pad), dilated MaxPool, broadcast Mul/Div/Sub, Transpose, Gemm transA', async () => {
    const bytes = model({
      inputDims: [1, 4, 9, 9],
      output: 'out',
      nodes: [
        node('Conv', ['input', 'wg', 'bg'], ['g'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 2 }),
        node('Conv', ['g', 'wd'], ['d'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2], group: 8 }),
        node('Pad', ['d', 'pads'], ['dp']),
        node('AveragePool', ['dp'], ['ap'], { kernel_shape: [2, 2], strides: [1, 1] }),
        node('MaxPool', ['ap', ], ['mp'], { kernel_shape: [2, 2], dilations: [2, 2] }),
        node('Mul', ['mp', 'row'], ['m1']),
        node('Div', ['m1', 'two'], ['m2']),
        node('Sub', ['full', 'm2'], ['m3']),
        node('Transpose', ['m3'], ['t'], { perm: [0, 1, 3, 2] }),
        node('Flatten', ['t'], ['f']),
        node('Transpose', ['f'], ['ft'], { perm: [1, 0] }),
        node('Gemm', ['ft', 'w'], ['out'], { transA: 1 }),
      ],
      inits: [
        tensor('wg', [8, 2, 3, 3], rand(144, 1)),
        tensor('bg', [8], rand(8, 2)),
        tensor('wd', [8, 1, 3, 3], rand(72, 3)),
        tensor('pads', [8], [0, 0, 1, 0, 0, 0, 0, 1], 'i64'),
        tensor('row', [1, 1, 1, 3], rand(3, 4)),
        tensor('two', [], [2]),
        tensor('full', [1, 8, 3, 3], rand(72, 5)),
        tensor('w', [72, 6], rand(432, 6)),
      ],
    });
    const r = await expectOrtParity(bytes);
    expect(r.ops).toContain('GroupConv2D');
    expect(r.ops).not.toContain('Pad');
  });

  it("Bi-Real's activation STE sign(x) − p(x) + p(x) is the sign (p's Less/Cast nodes dropped); x.view(x.size(0), -1) folds", async () => {
    const bytes = model({
      inputDims: [1, 3, 6, 6],
      output: 'out',
      nodes: [
        node('Sign', ['input'], ['s']),
        node('Less', ['input', 'one'], ['lt']),
        node('Cast', ['lt'], ['ltf'], { to: 1 }),
        node('Mul', ['ltf', 'input'], ['p']),
        node('Sub', ['s', 'p'], ['d']),
        node('Add', ['d', 'p'], ['ste']),
        ...binarizedWeight('w', 'wb'),
        node('Conv', ['ste', 'wb'], ['c'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
        node('Shape', ['c'], ['shape']),
        node('Gather', ['shape', 'zero'], ['n'], { axis: 0 }),
        node('Unsqueeze', ['n', 'axes'], ['n1']),
        node('Concat', ['n1', 'minus1'], ['target'], { axis: 0 }),
        node('Reshape', ['c', 'target'], ['f']),
        node('Gemm', ['f', 'fc'], ['out'], { transB: 1 }),
      ],
      inits: [
        tensor('one', [], [1]),
        tensor('w', [4, 3, 3, 3], rand(108, 1)),
        tensor('zero', [], [0], 'i64'),
        tensor('axes', [1], [0], 'i64'),
        tensor('minus1', [1], [-1], 'i64'),
        tensor('fc', [5, 144], rand(720, 2)),
      ],
    });
    const r = await expectOrtParity(bytes);
    expect(r.ops).toEqual(['Binarize', 'BinConv2D', 'Flatten', 'Dense']);
  });

  it('a sequence input [N, C, L]: 1-D Conv, BatchNormalization, MaxPool, ReduceMean over L, Softmax', async () => {
    const bytes = model({
      inputDims: [1, 4, 16],
      output: 'out',
      nodes: [
        node('Conv', ['input', 'w', 'b'], ['c'], { kernel_shape: [3], pads: [1, 1], strides: [1] }),
        node('BatchNormalization', ['c', 'g', 'be', 'mu', 'var'], ['bn']),
        node('MaxPool', ['bn'], ['p'], { kernel_shape: [2], strides: [2] }),
        node('ReduceMean', ['p'], ['m'], { axes: [2], keepdims: 0 }),
        node('Softmax', ['m'], ['out'], { axis: 1 }),
      ],
      inits: [
        tensor('w', [6, 4, 3], rand(72, 1)),
        tensor('b', [6], rand(6, 2)),
        tensor('g', [6], rand(6, 3, 0.5, 1.5)),
        tensor('be', [6], rand(6, 4)),
        tensor('mu', [6], rand(6, 5)),
        tensor('var', [6], rand(6, 6, 0.5, 2)),
      ],
    });
    const m = convertOnnx(bytes);
    expect(m.metadata.input).toMatchObject({ shape: [1, 4, 16], layout: 'ND', colorOrder: 'NONE' });
    const mod = await import('onnxruntime-node');
    const ort = ((mod as unknown as { default?: typeof mod }).default ?? mod) as typeof mod;
    const x = rand(64, 7);
    const s = await ort.InferenceSession.create(bytes);
    const want = (await s.run({ input: new ort.Tensor('float32', x, [1, 4, 16]) })).out.data as Float32Array;
    await s.release();
    const lm = await loadModel(writeXnn(m));
    const got = lm.run(x).data;
    lm.dispose();
    expect(got.length).toBe(6);
    for (let i = 0; i < 6; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-6);
  });

  it('Sign(0): a float reader gets 0 as ONNX; a binary conv reads an exact 0 as +1 (Binarize), documented', async () => {
    // x → Sign → Conv(±α): where x has an exact 0, onnxruntime's Sign gives 0 (the tap adds
    // nothing); the binary kernels have no 0, so Binarize gives +1 (x >= 0). With no exact 0
    // the results are equal; with one, they equal onnxruntime's on x with that 0 made +tiny.
    const w = Float32Array.from(rand(8 * 27, 1), (v) => (v < 0 ? -0.25 : 0.25));
    const bin = model({
      inputDims: [1, 3, 3, 3],
      output: 'y',
      nodes: [node('Sign', ['input'], ['s']), node('Conv', ['s', 'w'], ['c']), node('Flatten', ['c'], ['y'])],
      inits: [tensor('w', [8, 3, 3, 3], w)],
    });
    const flt = model({ inputDims: [1, 3, 3, 3], output: 'y', nodes: [node('Sign', ['input'], ['s']), node('Flatten', ['s'], ['y'])] });
    expect(convertOnnx(bin).order.map((n) => n.op)).toEqual(['Binarize', 'BinConv2D', 'Flatten']);
    const mod = await import('onnxruntime-node');
    const ort = ((mod as unknown as { default?: typeof mod }).default ?? mod) as typeof mod;
    const x = Float32Array.from(rand(27, 2));
    x[4] = 0;
    x[13] = 0;
    const nhwc = (v: Float32Array) => Float32Array.from({ length: 27 }, (_, i) => v[(i % 3) * 9 + Math.floor(i / 3)]);
    const run = async (bytes: Uint8Array, v: Float32Array) => {
      const s = await ort.InferenceSession.create(bytes);
      const out = await s.run({ input: new ort.Tensor('float32', v, [1, 3, 3, 3]) });
      await s.release();
      return Float32Array.from(out.y.data as Float32Array);
    };
    const ours = async (bytes: Uint8Array, v: Float32Array) => {
      const m = await loadModel(writeXnn(convertOnnx(bytes)));
      const y = m.run(nhwc(v)).data;
      m.dispose();
      return y;
    };
    // A float reader: Sign → Unary sign, 0 stays 0, as onnxruntime.
    const sf = await ours(flt, x);
    expect(Array.from(sf)).toEqual(Array.from(await run(flt, x)));
    expect(sf.filter((v) => v === 0)).toHaveLength(2);
    // A binary conv: our result is onnxruntime's on x with the zeros made +1e-30 …
    const plus = Float32Array.from(x, (v) => (v === 0 ? 1e-30 : v));
    const got = await ours(bin, x);
    const wantPlus = await run(bin, plus);
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(wantPlus[i], 5);
    // … and differs from onnxruntime's on x itself by α per zero tap the filter reads.
    const wantZero = await run(bin, x);
    expect(got.some((v, i) => Math.abs(v - wantZero[i]) > 0.2)).toBe(true);
  });
});
