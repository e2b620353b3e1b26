// loadModel on this thread and in workers, on a bare page that exposes the library as
// window.xnor (web/demo/api.html): same answers as the main thread, crash recovery,
// latest-frame-wins, errors that keep their names across the boundary.
import { type Page, expect, test } from '@playwright/test';
import { IMAGENET, baseUrl, requireModel } from './models.js';

async function openApi(page: Page) {
  await page.goto(`${baseUrl()}/demo/api.html`);
  await expect(page.locator('#status')).toHaveText('ready');
}

test('loadModel gives the same top-5 on this thread (Blob, ImageData) and in a worker', async ({ page }) => {
  const model = requireModel(IMAGENET);
  await openApi(page);
  const r = await page.evaluate(async (url) => {
    const { xnor } = window;
    const blob = await (await fetch('samples/chelsea.png')).blob();
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
    // What a page has: the photo drawn on a canvas, read back as ImageData.
    const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const imageData = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    // This thread (workers: 0): classify takes the Blob and the ImageData as a worker does.
    const m = await xnor.loadModel(url);
    const mainTop = (await m.classify(blob, { top: 5 })).top;
    const imageDataTop = (await m.classify(imageData)).top;
    const x = xnor.preprocessImage({ width: imageData.width, height: imageData.height, channels: 4, data: imageData.data }, m.info);
    for (let i = 0; i < 3; i++) await m.run(x); // warm-up (JIT tiers)
    const mainMs: number[] = [];
    for (let i = 0; i < 8; i++) {
      const t0 = performance.now();
      await m.run(x);
      mainMs.push(performance.now() - t0);
    }
    const mainStats = m.stats();
    m.dispose();
    // In a worker: the same call with workers: 1.
    const c = await xnor.loadModel(url, { workers: 1 });
    const workerTop = (await c.classify(blob)).top;
    const y = await c.run(x);
    for (let i = 0; i < 3; i++) await c.classify(imageData, { transfer: false });
    const workerMs: number[] = [];
    for (let i = 0; i < 8; i++) workerMs.push((await c.classify(imageData, { transfer: false })).inferMs);
    const stats = c.stats();
    c.dispose();
    return { mainTop, imageDataTop, workerTop, mainMs: median(mainMs), workerMs: median(workerMs), stats, mainStats, outLen: y.data.length, outShape: y.shape };
  }, model);
  expect(r.mainTop[0].label).toBe('Egyptian cat');
  expect(r.workerTop.map((p) => p.index)).toEqual(r.mainTop.map((p) => p.index));
  expect(r.imageDataTop.map((p) => p.index)).toEqual(r.mainTop.map((p) => p.index));
  for (let i = 0; i < 5; i++) expect(r.workerTop[i].prob).toBeCloseTo(r.mainTop[i].prob, 5);
  expect(r.stats).toMatchObject({ classified: 12, dropped: 0, restarts: 0 });
  expect(r.mainStats).toMatchObject({ classified: 2, dropped: 0, restarts: 0 });
  expect(r.outShape).toEqual([1, 1000]);
  expect(r.outLen).toBe(1000);
  console.log(`ResNet-18 in Chromium, median of 8 after 3 warm-up runs: main thread ${r.mainMs.toFixed(1)} ms, worker ${r.workerMs.toFixed(1)} ms`);
});

test('a terminated worker rejects its calls with WorkerCrashedError, is restarted, later calls succeed', async ({ page }) => {
  const model = requireModel(IMAGENET);
  await openApi(page);
  const r = await page.evaluate(async (url) => {
    const { xnor } = window;
    const blob = await (await fetch('samples/coffee.png')).blob();
    const c = await xnor.loadModel(url, { workers: 1 });
    const pending = [c.classify(blob), c.classify(blob)];
    await new Promise((ok) => setTimeout(ok, 5));
    c.terminateWorker(0);
    const settled = await Promise.allSettled(pending);
    const errors = settled.map((s) => (s.status === 'rejected' ? { name: s.reason.name, isClass: s.reason instanceof xnor.WorkerCrashedError } : null));
    const after = await c.classify(blob);
    const stats = c.stats();
    c.dispose();
    let disposedName = '';
    await c.classify(blob).catch((e) => (disposedName = e.name));
    return { errors, after: after.top[0].label, stats, disposedName };
  }, model);
  expect(r.errors).toEqual([
    { name: 'WorkerCrashedError', isClass: true },
    { name: 'WorkerCrashedError', isClass: true },
  ]);
  expect(r.after).toBe('espresso');
  expect(r.stats.restarts).toBe(1);
  expect(r.disposedName).toBe('DisposedError');
});

test('latest frame wins: frames pushed faster than inference are dropped and counted', async ({ page }) => {
  const model = requireModel(IMAGENET);
  await openApi(page);
  const r = await page.evaluate(async (url) => {
    const { xnor } = window;
    const c = await xnor.loadModel(url, { workers: 1 });
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 240;
    const g = canvas.getContext('2d')!;
    const results: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) {
      g.fillStyle = `hsl(${i * 12} 80% 50%)`;
      g.fillRect(0, 0, 320, 240);
      results.push(c.classifyFrame(canvas));
      await new Promise((ok) => setTimeout(ok, 1)); // ~1 ms apart: far faster than inference
    }
    const out = await Promise.all(results);
    const stats = c.stats();
    c.dispose();
    return { nulls: out.filter((x) => x === null).length, answered: out.filter((x) => x !== null).length, stats, last: out[29] !== null };
  }, model);
  expect(r.stats.dropped).toBeGreaterThan(0);
  expect(r.nulls).toBe(r.stats.dropped);
  expect(r.answered + r.nulls).toBe(30);
  expect(r.stats.classified).toBe(r.answered);
  expect(r.last).toBe(true); // the newest frame is never the one dropped
});

test('errors have the same name and class on this thread and across the worker boundary', async ({ page }) => {
  const model = requireModel(IMAGENET);
  await openApi(page);
  const r = await page.evaluate(async (url) => {
    const { xnor } = window;
    const name = (e: unknown) => ({ name: (e as Error).name, isClass: e instanceof xnor.XnorError, message: (e as Error).message });
    const out: Record<string, unknown>[] = [];
    for (const workers of [1, 0]) {
      const bad = await xnor.loadModel(new Uint8Array(64).fill(7), { workers }).then(() => null, name);
      const html = await xnor.loadModel('index.html', { workers }).then(() => null, name);
      const c = await xnor.loadModel(url, { workers });
      const notImage = await c.classify(new Blob(['not an image'], { type: 'image/png' })).then(() => null, name);
      const tiny = await c.classify({ width: 1, height: 1, channels: 3, data: new Uint8Array(2) }).then(() => null, name);
      const nan = await c.run(new Float32Array(224 * 224 * 3).fill(NaN)).then(() => null, name);
      c.dispose();
      const disposed = await c.classify(new Blob([])).then(() => null, name);
      out.push({ bad, html, notImage, tiny, nan, disposed });
    }
    return { out };
  }, model);
  for (const o of r.out) {
    expect(o.bad).toMatchObject({ name: 'ModelFormatError', isClass: true });
    expect(o.html).toMatchObject({ name: 'ModelHtmlError', isClass: true }); // a ModelFormatError
    expect(o.notImage).toMatchObject({ name: 'ImageDecodeError', isClass: true });
    expect(o.tiny).toMatchObject({ name: 'InputError', isClass: true });
    expect(o.nan).toMatchObject({ name: 'InputError', isClass: true, message: expect.stringContaining('input[0] is NaN') });
    expect(o.disposed).toMatchObject({ name: 'DisposedError', isClass: true });
  }
});

test('without WebAssembly SIMD, loading rejects with SimdUnsupportedError', async ({ page }) => {
  const model = requireModel(IMAGENET);
  await page.addInitScript(() => {
    WebAssembly.validate = () => false; // as an engine without SIMD would answer the probe
  });
  await openApi(page);
  const r = await page.evaluate(async (url) => {
    const { xnor } = window;
    const main = await xnor.loadModel(url).then(() => null, (e: Error) => ({ name: e.name, message: e.message }));
    return { main, simd: xnor.getCapabilities().simd };
  }, model);
  expect(r.simd).toBe(false);
  expect(r.main?.name).toBe('SimdUnsupportedError');
  expect(r.main?.message).toContain('SIMD');
});
