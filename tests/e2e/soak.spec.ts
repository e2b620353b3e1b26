// Soak: many classify() calls through the worker pipeline (loadModel with workers, as the demo uses
// it) on the shipped Fashion-MNIST XNOR model, 8 calls in flight, 64 distinct images. After a
// warm-up:
//  - the worker's WASM memory does not change at all (planned at load; inference allocates
//    nothing), read through the protocol (Classifier.workerStats);
//  - the JS heaps of the page and of the worker, measured by CDP after a forced GC, grow by
//    less than HEAP_SLACK plus 32 bytes per call (measured: 40 kB over 2,000 calls, 130 kB over
//    20,000; keeping each call's result alive, 340 bytes a call, fails it);
//  - the last pass over the 64 images answers exactly what the first did.
// CI runs 2,000 calls; SOAK_N=20000 npx playwright test tests/e2e/soak.spec.ts runs the 20,000.
import { expect, test } from '@playwright/test';
import { heapProbe } from './heap.js';
import { baseUrl, requireModel } from './models.js';

const N = Number(process.env.SOAK_N ?? 2000);
const WARMUP = 500;
const HEAP_SLACK = 256 * 1024;
const PER_CALL = 32;

test(`soak: ${N} classify() calls in a worker, WASM memory fixed and JS heaps flat after warm-up`, async ({ page }) => {
  test.setTimeout(Math.max(90_000, N * 20));
  const model = requireModel('fashion-mnist-xnor.xnn');
  await page.goto(`${baseUrl()}/demo/api.html`);
  await expect(page.locator('#status')).toHaveText('ready');
  const heaps = await heapProbe(page);

  await page.evaluate(async (url) => {
    const { xnor } = window;
    const images = Array.from({ length: 64 }, (_, i) => {
      const img = new ImageData(28, 28);
      let s = i * 2654435761;
      for (let p = 0; p < 28 * 28; p++) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        const v = (s >>> 24) & (p % 28 < 14 + (i % 7) ? 255 : 63);
        img.data.set([v, v, v, 255], p * 4);
      }
      return img;
    });
    const c = await xnor.loadModel(url, { workers: 1 });
    // `count` calls, `inFlight` at a time, cycling through the images; the tops of one pass.
    const run = async (count: number, inFlight = 8) => {
      const tops: string[] = new Array(images.length);
      let next = 0;
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (next < count) {
            const i = next++ % images.length;
            const r = await c.classify(images[i], { transfer: false, top: 3 });
            tops[i] = JSON.stringify(r.top);
          }
        }),
      );
      return tops;
    };
    Object.assign(window, { soak: { c, run } });
  }, model);
  await expect.poll(() => heaps.workerCount()).toBe(1);

  type Soak = { c: import('../../src/index.js').Session; run(count: number, inFlight?: number): Promise<string[]> };
  const warm = await page.evaluate(async (n) => {
    const { c, run } = (window as unknown as { soak: Soak }).soak;
    const tops = await run(n);
    return { tops, stats: await c.workerStats() };
  }, WARMUP);
  const before = await heaps.measure();

  const t0 = Date.now();
  const end = await page.evaluate(async (n) => {
    const { c, run } = (window as unknown as { soak: Soak }).soak;
    await run(n);
    const tops = await run(64, 1); // one last pass, one call at a time
    return { tops, stats: await c.workerStats(), totals: c.stats() };
  }, N);
  const seconds = (Date.now() - t0) / 1000;
  const after = await heaps.measure();
  await page.evaluate(() => (window as unknown as { soak: Soak }).soak.c.dispose());
  await heaps.detach();

  const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
  console.log(
    `soak: ${N} calls in ${seconds.toFixed(1)} s (${((1000 * seconds) / N).toFixed(2)} ms/call); ` +
      `worker WASM memory ${mib(warm.stats[0].wasmMemoryBytes)} → ${mib(end.stats[0].wasmMemoryBytes)}; ` +
      `page heap ${mib(before.page)} → ${mib(after.page)}; worker heap ${mib(before.workers[0])} → ${mib(after.workers[0])}`,
  );

  expect(end.totals).toEqual({ classified: WARMUP + N + 64, dropped: 0, restarts: 0 });
  expect(end.stats[0].classified).toBe(WARMUP + N + 64);
  expect(warm.stats[0].wasmMemoryBytes).toBeGreaterThan(0);
  expect(end.stats[0].wasmMemoryBytes).toBe(warm.stats[0].wasmMemoryBytes);
  const bound = HEAP_SLACK + PER_CALL * N;
  expect(after.page - before.page).toBeLessThan(bound);
  expect(after.workers).toHaveLength(1);
  expect(after.workers[0] - before.workers[0]).toBeLessThan(bound);
  expect(end.tops).toEqual(warm.tops);
});
