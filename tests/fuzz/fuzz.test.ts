// CI-bounded mutation fuzzing (the long run is `npm run fuzz -- --cases 100000`; see
// scripts/fuzz.ts and ./engine.ts). A fixed seed over small seed files (≤ 300 kB): 5,000 .xnn
// cases (mutate → readXnn → WASM backend → one inference) and 1,000 converter cases (BMXNet
// params/symbol when ../shared has them, ONNX always). Only the documented error classes may
// come out, no case may take more than 5 s (CI-generous; the script uses 2 s), and resident memory stays bounded.

import { beforeAll, describe, expect, it } from 'vitest';
import { BMXNET_KINDS, ONNX_KINDS, XNN_KINDS, availableKinds, loadCorpus, runCase, type CaseResult, type Corpus, type Kind } from './engine.js';

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
  const ks = availableKinds(corpus, kinds);
  for (let i = start; i < start + n; i++) {
    const t0 = performance.now();
    const r: CaseResult = await runCase(corpus, SEED, i, ks);
    const ms = performance.now() - t0;
    if (r.errorName) names.set(r.errorName, (names.get(r.errorName) ?? 0) + 1);
    if (r.outcome === 'crash') crashes.push(`case ${i} ${r.kind} ${r.file} at ${r.stage}: ${r.message}`);
    if (ms > HANG_MS) hangs.push(`case ${i} ${r.kind} ${r.file}: ${ms.toFixed(0)} ms`);
    if (i % 250 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  return { crashes, hangs, names, peak: Math.max(peak, process.memoryUsage().rss), kinds: ks };
}

describe('mutation fuzzing (fixed seed)', () => {
  it('5,000 .xnn mutants: ModelFormatError or a model that runs', async () => {
    const r = await fuzz(XNN_KINDS, 0, 5000);
    expect(r.crashes).toEqual([]);
    expect(r.hangs).toEqual([]);
    expect([...r.names.keys()]).toEqual(['ModelFormatError']);
    expect(r.peak).toBeLessThan(MAX_RSS);
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
