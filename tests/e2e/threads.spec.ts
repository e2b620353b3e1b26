// Kernel threads in Chromium (docs/THREADS.md): on the cross-origin-isolated demo server,
// threads: 2 in a model worker (loadModel with workers: 1) and on the page's main thread give exactly
// the output of threads: 1, on the relaxed-SIMD builds (the default where the engine has relaxed
// SIMD), the plain ones and the fma ones (asked for); the relaxed builds give the plain builds'
// bits; the demo and the widget say how many threads they run.
import { expect, test } from '@playwright/test';
import { IMAGENET, baseUrl, requireModel } from './models.js';

const BUILDS = {
  relaxed: { wasm: {}, files: ['xnor.mt.relaxed.wasm', 'xnor.relaxed.wasm'] },
  plain: { wasm: { relaxedSimd: false }, files: ['xnor.mt.wasm', 'xnor.wasm'] },
  fma: { wasm: { fma: true }, files: ['xnor.mt.fma.wasm', 'xnor.fma.wasm'] },
} as const;

for (const [build, { wasm: wasmOptions, files }] of Object.entries(BUILDS))
test(`threads: 2 gives the same output as threads: 1, in a model worker and on the main thread (${build} builds)`, async ({ page }) => {
  const model = requireModel('cifar10-xnor.xnn');
  await page.goto(`${baseUrl()}/demo/api.html`);
  await expect(page.locator('#status')).toHaveText('ready');
  const r = await page.evaluate(async ([url, wasmOptions]) => {
    const { xnor } = window;
    const blob = await (await fetch('samples/chelsea.png')).blob();
    // In a model worker: all 10 class probabilities, which are exact functions of the logits.
    const runWorker = async (threads: number) => {
      const c = await xnor.loadModel(url, { workers: 1, threads, top: 10, wasm: wasmOptions });
      try {
        return { threads: c.loaded.threads, top: (await c.classify(blob)).top };
      } finally {
        c.dispose();
      }
    };
    const w1 = await runWorker(1);
    const w2 = await runWorker(2);
    // On the main thread (the caller spins instead of Atomics.wait): the raw output.
    const x = new Float32Array(32 * 32 * 3).map((_, i) => ((i * 2654435761) % 1000) / 4 - 125);
    const run = async (threads: number) => {
      const m = await xnor.loadModel(url, { threads, wasm: wasmOptions });
      try {
        return { threads: m.threads, y: Array.from((await m.run(x)).data) };
      } finally {
        m.dispose();
      }
    };
    const m1 = await run(1);
    const m2 = await run(2);
    // what the main thread fetched (Vite names them xnor.relaxed-HASH.wasm and so on)
    const wasm = performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname.split('/').pop()!).filter((n) => n.endsWith('.wasm'));
    return { isolated: crossOriginIsolated, w1, w2, m1, m2, wasm, relaxed: xnor.getCapabilities().relaxedSimd };
  }, [model, wasmOptions] as const);
  expect(r.isolated).toBe(true);
  expect(r.relaxed).toBe(true); // Chromium has it
  expect(r.wasm.map((n) => n.replace(/-[\w-]+\.wasm$/, '.wasm')).sort()).toEqual([...files].sort());
  expect([r.w1.threads, r.w2.threads]).toEqual([1, 2]);
  expect(r.w2.top).toEqual(r.w1.top);
  expect([r.m1.threads, r.m2.threads]).toEqual([1, 2]);
  expect(r.m2.y).toEqual(r.m1.y);
});

test('the relaxed build (the default) gives the plain build\'s bits on ImageNet ResNet-18, each popcount strategy', async ({ page }) => {
  const model = requireModel(IMAGENET);
  await page.goto(`${baseUrl()}/demo/api.html`);
  await expect(page.locator('#status')).toHaveText('ready');
  const r = await page.evaluate(async (url) => {
    const { xnor } = window;
    const x = new Float32Array(224 * 224 * 3).map((_, i) => (i * 2654435761) % 256);
    const out: Record<string, number[]> = {};
    for (const popcount of ['scalar', 'simd', 'hybrid'] as const)
      for (const [name, relaxedSimd] of [['relaxed', undefined], ['plain', false]] as const) {
        const m = await xnor.loadModel(url, { wasm: { relaxedSimd, popcount } });
        try {
          const y = (await m.run(x)).data;
          out[`${name}/${popcount}`] = Array.from(new Uint32Array(y.buffer, y.byteOffset, y.length));
        } finally {
          m.dispose();
        }
      }
    return out;
  }, model);
  for (const popcount of ['scalar', 'simd', 'hybrid']) {
    expect(r[`relaxed/${popcount}`].length).toBe(1000);
    expect(r[`relaxed/${popcount}`]).toEqual(r[`plain/${popcount}`]);
  }
});

test('the demo runs ?threads=2 in its model worker and says so; the widget says it runs 1 thread', async ({ page }) => {
  requireModel('cifar10-xnor.xnn');
  await page.goto(`${baseUrl()}/demo/?threads=2`);
  await expect(page.locator('body')).toHaveAttribute('data-model', 'ready', { timeout: 30_000 });
  await expect(page.getByTestId('threads')).toHaveText('threads: 2 per worker');
  requireModel(IMAGENET);
  await page.goto(`${baseUrl()}/widget/example.html`);
  await expect(page.locator('xnor-classifier')).toHaveAttribute('data-threads', '1', { timeout: 30_000 });
});
