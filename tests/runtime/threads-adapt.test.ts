// Threads that do not lose under contention (src/runtime/wasm-backend.ts ThreadsGovernor): a
// threaded backend times the mode it runs in, tries the other (all steps on the calling thread)
// now and then, and keeps the faster; both modes give the same bits.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readXnn } from '../../src/format/index.js';
import { ThreadsGovernor, createWasmBackend } from '../../src/runtime/wasm-backend.js';
import { REPO_ROOT } from '../helpers/shared.js';

/** Runs the governor over `runs` inferences whose time depends only on the mode; returns the modes. */
function simulate(ms: { split: number; solo: number }, runs: number): boolean[] {
  const g = new ThreadsGovernor();
  let solo = false;
  const modes: boolean[] = [];
  for (let i = 0; i < runs; i++) {
    modes.push(solo);
    solo = g.next(solo, solo ? ms.solo : ms.split);
  }
  return modes;
}

describe('ThreadsGovernor', () => {
  it('switches to one thread when that is faster (a busy machine), and stays there', () => {
    const modes = simulate({ split: 10, solo: 7 }, 400);
    const first = modes.indexOf(true);
    expect(first).toBeGreaterThanOrEqual(ThreadsGovernor.FIRST);
    expect(first).toBeLessThan(20);
    // after the switch: solo, except the probes of the split mode (which lose)
    const after = modes.slice(first);
    expect(after.filter((s) => !s).length).toBeLessThanOrEqual(4 * ThreadsGovernor.PROBE);
  });

  it('keeps the threads on a quiet machine; its probes get rarer (< 2 % of runs)', () => {
    const modes = simulate({ split: 5, solo: 9 }, 2000);
    const probes = modes.filter((s) => s).length;
    expect(probes).toBeGreaterThan(0);
    expect(probes / modes.length).toBeLessThan(0.02);
    expect(modes.slice(-400).filter((s) => s).length).toBeLessThanOrEqual(ThreadsGovernor.PROBE);
  });

  it('needs a 5 % win to switch', () => {
    expect(simulate({ split: 10, solo: 9.7 }, 300).slice(40).filter((s) => s).length).toBeLessThan(10);
  });
});

describe('a threaded backend run on one thread (solo) gives the same bits', () => {
  for (const name of ['cifar10-xnor', 'fashion-mnist-bwn'])
    it(`${name}, 2 threads, alternating solo and split runs = 1 thread`, async () => {
      const model = readXnn(new Uint8Array(readFileSync(join(REPO_ROOT, 'models', `${name}.xnn`))));
      const n = model.inputs[0].shape.reduce((a, b) => a * b, 1);
      const hi = model.metadata.input.valueRange[1];
      // integer pixels where the range is 0..255 (the integer stem runs on them)
      const x = Float32Array.from({ length: n }, (_, i) => (hi > 1 ? (i * 37) % 256 : ((i * 37) % 256) / 255));
      const one = await createWasmBackend(model, { threads: 1 });
      let calls = 0;
      const two = await createWasmBackend(model, { threads: 2, threadsGovernor: { next: (solo) => (calls++, !solo) } });
      try {
        expect(two.threads).toBe(2);
        expect(two.parallelSteps).toBeGreaterThan(0);
        const want = Array.from(one.run(x));
        for (let i = 0; i < 6; i++) expect(Array.from(two.run(x))).toEqual(want);
        expect(calls).toBe(6);
      } finally {
        one.dispose();
        two.dispose();
      }
    });
});
