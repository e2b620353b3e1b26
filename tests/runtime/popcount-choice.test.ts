// The popcount strategy per binary-conv loop shape (docs/KERNELS.md "Choosing the strategy"):
// an 'auto' backend races after its 3rd and 20th inferences (RACE_AFTER, once each per process) on
// warmed-up kernels and rewrites every binary conv's params; outputs never change (every
// strategy is exact), whatever is chosen, and a forced strategy is used everywhere.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readXnn } from '../../src/format/index.js';
import { createWasmBackend } from '../../src/runtime/wasm-backend.js';
import { bconvShape } from '../../src/wasm/kernels.js';
import { REPO_ROOT } from '../helpers/shared.js';

const model = readXnn(new Uint8Array(readFileSync(join(REPO_ROOT, 'models', 'cifar10-xnor.xnn'))));
const input = Float32Array.from({ length: 32 * 32 * 3 }, (_, i) => (i * 37) % 256);
const STRATEGIES = ['scalar', 'simd', 'hybrid'];

describe('popcount strategy per layer', () => {
  it('auto: the same outputs before and after the re-race; every binary conv labelled with its shape\'s strategy', async () => {
    const b = await createWasmBackend(model);
    try {
      const first = Array.from(b.run(input));
      for (let i = 0; i < 24; i++) expect(Array.from(b.run(input))).toEqual(first);
      const bconvs = b.steps.filter((s) => s.node.op === 'BinConv2D');
      expect(bconvs.length).toBeGreaterThan(0);
      for (const s of bconvs) {
        const w = model.types.get(s.node.inputs[1])!.shape;
        const x = model.types.get(s.node.inputs[0])!.shape;
        const shape = bconvShape({ n: 1, h: x[1], w: x[2], c: x[3], kh: w[1], kw: w[2] });
        expect(s.kernel).toBe(b.popcountPerShape[shape]);
        expect(STRATEGIES).toContain(s.kernel);
      }
    } finally {
      b.dispose();
    }
  });

  it('a forced strategy is used for every layer, and all give the same bits', async () => {
    const outs: number[][] = [];
    for (const s of STRATEGIES) {
      const b = await createWasmBackend(model, { popcount: s as 'scalar' });
      try {
        expect(b.popcountPerShape).toEqual({ k3c64: s, k1: s, general: s });
        for (let i = 0; i < 4; i++) b.run(input);
        expect(b.steps.filter((st) => st.node.op === 'BinConv2D').every((st) => st.kernel === s)).toBe(true);
        outs.push(Array.from(b.run(input)));
      } finally {
        b.dispose();
      }
    }
    expect(outs[1]).toEqual(outs[0]);
    expect(outs[2]).toEqual(outs[0]);
  });
});
