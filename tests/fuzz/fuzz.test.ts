// CI-bounded mutation fuzzing (the long run is `npm run fuzz -- --cases 100000`; see
// scripts/fuzz.ts and ./engine.ts). A fixed seed over small seed files (≤ 300 kB): 5,000 .xnn
// cases (mutate → readXnn → WASM backend → one inference) and 1,000 converter cases (BMXNet
// params/symbol when ../shared has them, ONNX always). Only the documented error classes may
// come out, no case may take more than 5 s (CI-generous; the script uses 2 s), and resident memory stays bounded.
// Every .xnn mutant that loads must also hold no more WASM memory than its header justifies
// (engine.ts wasmMemoryBound: a failure is a MemoryBoundError crash); the last block shows that
// check failing on an over-allocation and the header rule that keeps padding bombs out.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readXnn } from '../../src/format/read.js';
import { writeXnn } from '../../src/format/write.js';
import { createWasmBackend } from '../../src/runtime/wasm-backend.js';
import { REPO_ROOT } from '../helpers/shared.js';
import { tinyGraph } from '../helpers/tiny-model.js';
import {
  BMXNET_KINDS, ONNX_KINDS, XNN_KINDS, availableKinds, checkWasmMemory, loadCorpus, runCase,
  type CaseResult, type Corpus, type Kind,
} from './engine.js';

const SEED = 0x5eed;
const HANG_MS = 5000; // generous: CI shares 2 cores with other suites; a real hang never ends
const MAX_RSS = 1536 * 2 ** 20;
let corpus: Corpus;

beforeAll(async () => {
  corpus = await loadCorpus({ maxBytes: 300_000 });
}, 60_000);

async function fuzz(kinds: readonly Kind[], start: number, n: number) {
  const crashes: string[] = [];
  const hangs: string[] = [];
  const names = new Map<string, number>();
  let peak = 0;
  let loaded = 0;
  let maxShare = 0; // largest WASM memory / bound seen
  const ks = availableKinds(corpus, kinds);
  for (let i = start; i < start + n; i++) {
    const t0 = performance.now();
    const r: CaseResult = await runCase(corpus, SEED, i, ks);
    const ms = performance.now() - t0;
    if (r.errorName) names.set(r.errorName, (names.get(r.errorName) ?? 0) + 1);
    if (r.outcome === 'crash') crashes.push(`case ${i} ${r.kind} ${r.file} at ${r.stage}: ${r.message}`);
    if (ms > HANG_MS) hangs.push(`case ${i} ${r.kind} ${r.file}: ${ms.toFixed(0)} ms`);
    if (i % 250 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    if (r.wasmBytes !== undefined) {
      loaded++;
      maxShare = Math.max(maxShare, r.wasmBytes / r.wasmBound!);
    }
  }
  return { crashes, hangs, names, peak: Math.max(peak, process.memoryUsage().rss), kinds: ks, loaded, maxShare };
}

describe('mutation fuzzing (fixed seed)', () => {
  it('5,000 .xnn mutants: ModelFormatError or a model that runs', async () => {
    const r = await fuzz(XNN_KINDS, 0, 5000);
    expect(r.crashes).toEqual([]);
    expect(r.hangs).toEqual([]);
    expect([...r.names.keys()]).toEqual(['ModelFormatError']);
    expect(r.peak).toBeLessThan(MAX_RSS);
    // The memory check ran on the mutants that loaded (a MemoryBoundError would be a crash above).
    expect(r.loaded).toBeGreaterThan(100);
    expect(r.maxShare).toBeLessThanOrEqual(1);
  }, 120_000);

  it('1,000 converter mutants (BMXNet, ONNX): ConvertError / UnsupportedOpError only', async () => {
    const kinds = availableKinds(corpus, [...BMXNET_KINDS, ...ONNX_KINDS]);
    expect(kinds.length).toBeGreaterThan(0);
    const r = await fuzz(kinds, 100_000, 1000);
    expect(r.crashes).toEqual([]);
    expect(r.hangs).toEqual([]);
    for (const n of r.names.keys()) expect(['ConvertError', 'UnsupportedOpError']).toContain(n);
    expect(r.peak).toBeLessThan(MAX_RSS);
  }, 120_000);
});

describe('memory bound per case', () => {
  const fashion = () => readXnn(new Uint8Array(readFileSync(`${REPO_ROOT}/models/fashion-mnist-xnor.xnn`)));

  it('passes a valid model and fails one that holds more WASM memory than its header justifies', async () => {
    const g = fashion();
    const b = await createWasmBackend(g, { source: corpus.wasm });
    const ok = checkWasmMemory(g, b);
    expect(ok.wasmBytes).toBeLessThan(ok.bound);
    // What an allocation sized from an unchecked field would do: grow memory past the bound.
    b.kernels.alloc(ok.bound);
    expect(() => checkWasmMemory(g, b)).toThrow(expect.objectContaining({ name: 'MemoryBoundError' }));
    b.dispose();
    // Tight enough that a stray allocation of 200 MB fails the check, however the slack is tuned.
    expect(ok.bound).toBeLessThan(200 * 2 ** 20);
  });

  it('a conv whose pads (with a matching stride) ask for a huge padded copy is a ModelFormatError', () => {
    // A 9.6 kB file; the output stays 3×3, but the padded input would be 43 GB. Before the
    // workBytes rule the kernels' i32 size wrapped and the run trapped (memory access out of bounds).
    const g = tinyGraph();
    const c1 = g.nodes.find((n) => n.name === 'c1')!;
    c1.attrs = { ...c1.attrs, pads: [30000, 30000, 30000, 30000], strides: [30000, 30000] };
    expect(() => readXnn(writeXnn(g))).toThrow(/node "c1" \(Conv2D\): needs 43208640432 bytes of working memory/);
    // Dilation costs no bytes either.
    const g2 = tinyGraph();
    const c2 = g2.nodes.find((n) => n.name === 'c2')!;
    c2.attrs = { ...c2.attrs, pads: [1e4, 1e4, 1e4, 1e4], strides: [1e4, 1e4], dilations: [1e4, 1e4] };
    expect(() => readXnn(writeXnn(g2))).toThrow(expect.objectContaining({ name: 'ModelFormatError', message: expect.stringMatching(/BinConv2D.*working memory/) }));
  });
});
