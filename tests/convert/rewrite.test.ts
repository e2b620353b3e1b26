// The graph-rewrite pipeline (src/convert/rewrite.ts) runs once, at conversion: what it folds,
// that every shipped file is already its fixed point, and that the runtime folds nothing.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rewriteGraph } from '../../src/convert/rewrite.js';
import { readXnn } from '../../src/format/read.js';
import { writeXnn } from '../../src/format/write.js';
import { validateModel } from '../../src/format/validate.js';
import type { XnnGraph } from '../../src/format/xnn.js';
import { runReference } from '../../src/reference/interpreter.js';
import { fuse } from '../../src/runtime/fuse.js';
import { createWasmBackend } from '../../src/runtime/wasm-backend.js';
import { REPO_ROOT } from '../helpers/shared.js';
import { metadata, rng } from '../helpers/tiny-model.js';

/** data → Conv2D 3x3 (5) → BatchNorm → Relu. */
function convBnRelu(): XnnGraph {
  const r = rng(7);
  const f = (n: number) => Float32Array.from({ length: n }, () => r() * 2 - 1);
  const tensors: XnnGraph['tensors'] = new Map([
    ['w', { dtype: 'f32', shape: [5, 3, 3, 3], data: f(135) }],
    ['b', { dtype: 'f32', shape: [5], data: f(5) }],
    ['scale', { dtype: 'f32', shape: [5], data: f(5) }],
    ['shift', { dtype: 'f32', shape: [5], data: f(5) }],
  ]);
  return {
    metadata: metadata([1, 4, 4, 3], []),
    inputs: [{ name: 'data', dtype: 'f32', shape: [1, 4, 4, 3] }],
    outputs: ['y'],
    tensors,
    nodes: [
      { name: 'conv', op: 'Conv2D', inputs: ['data', 'w', 'b'], outputs: ['conv'], attrs: { pads: [1, 1, 1, 1] } },
      { name: 'bn', op: 'BatchNorm', inputs: ['conv', 'scale', 'shift'], outputs: ['bn'], attrs: {} },
      { name: 'relu', op: 'Relu', inputs: ['bn'], outputs: ['y'], attrs: {} },
    ],
  };
}

describe('rewriteGraph', () => {
  it('folds BatchNorm into the conv weights (float32 of w·scale, b·scale + shift) and Relu into its activation', () => {
    const g = convBnRelu();
    const out = rewriteGraph(g);
    expect(out.nodes.map((n) => [n.op, n.outputs[0], n.attrs.activation])).toEqual([['Conv2D', 'y', 'relu']]);
    const t = (name: string) => out.tensors.get(name)!.data as Float32Array;
    const [, wName, bName] = out.nodes[0].inputs;
    const f32 = (name: string) => g.tensors.get(name)!.data as Float32Array;
    const [w, b, scale, shift] = ['w', 'b', 'scale', 'shift'].map(f32);
    expect([...t(wName)]).toEqual(Array.from(w, (v, i) => Math.fround(scale[Math.floor(i / 27)] * v)));
    expect([...t(bName)]).toEqual(Array.from(b, (v, o) => Math.fround(scale[o] * v + shift[o])));
    // The input graph is left as it was.
    expect(g.nodes).toHaveLength(3);
    expect(f32('w')).toBe(g.tensors.get('w')!.data);
  });

  it('leaves a BatchNorm whose input is also a graph output', () => {
    const g = convBnRelu();
    g.outputs = ['y', 'conv'];
    expect(rewriteGraph(g).nodes.map((n) => n.op)).toEqual(['Conv2D', 'BatchNorm', 'Relu']);
  });

  // Every converter has run this pipeline since the format's first version, so a file written
  // by an older converter needs nothing at load.
  const shipped = readdirSync(join(REPO_ROOT, 'models')).filter((f) => f.endsWith('.xnn'));
  it.each(shipped)('shipped models/%s is already a fixed point', (file) => {
    const m = readXnn(new Uint8Array(readFileSync(join(REPO_ROOT, 'models', file))));
    const out = rewriteGraph(m);
    expect(out.nodes).toEqual(m.nodes);
    expect([...out.tensors.keys()]).toEqual([...m.tensors.keys()]);
  });
  it('finds the shipped models', () => expect(shipped.length).toBeGreaterThanOrEqual(5));
});

describe('the runtime steps (fuse)', () => {
  it('run an unfolded Conv2D → BatchNorm → Relu as stored: no weight rewrite at load', () => {
    const steps = fuse(validateModel(convBnRelu()));
    expect(steps.map((s) => s.covers)).toEqual([['conv'], ['bn', 'relu']]);
    expect(steps.map((s) => !!s.relu)).toEqual([false, true]);
  });

  it('load and run a file holding an unfolded BatchNorm (converted with fold: false)', async () => {
    const model = readXnn(writeXnn(validateModel(convBnRelu())));
    const wasm = await createWasmBackend(model);
    const r = rng(3);
    const x = Float32Array.from({ length: 48 }, () => r() * 2 - 1);
    const got = wasm.run(x).slice();
    wasm.dispose();
    const want = runReference(model, x).output.data;
    expect(got).toHaveLength(80);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5);
  });
});
