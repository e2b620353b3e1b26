// Concurrency: 100 classify() calls started at once (the first 50 CIFAR-10 test images, each as
// ImageData and as a PNG Blob, so that the worker's asynchronous decode interleaves with other
// calls) must each resolve to exactly what a sequential call on that image gives — with one
// worker and with two. classify() never drops a call (only classifyFrame is
// latest-frame-wins), so every one of the 100 answers.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { sharedFiles } from '../helpers/shared.js';
import { baseUrl, requireModel } from './models.js';

const N = 50;
const RECORD = 3073;

test(`${2 * N} concurrent classify() calls equal sequential ones, with 1 and 2 workers`, async ({ page }) => {
  test.setTimeout(90_000);
  const model = requireModel('cifar10-xnor.xnn');
  const files = sharedFiles('data/cifar10/test_batch.bin');
  test.skip(!files, 'shared/data/cifar10/test_batch.bin is missing');
  const records = readFileSync(files![0]).subarray(0, N * RECORD);
  await page.route('**/__test/cifar.bin', (r) => r.fulfill({ body: Buffer.from(records), contentType: 'application/octet-stream' }));
  await page.goto(`${baseUrl()}/demo/api.html`);
  await expect(page.locator('#status')).toHaveText('ready');

  const r = await page.evaluate(
    async ({ url, n }) => {
      const { xnor } = window;
      const data = new Uint8Array(await (await fetch('/__test/cifar.bin')).arrayBuffer());
      const images = Array.from({ length: n }, (_, i) => {
        const img = new ImageData(32, 32);
        const o = i * 3073 + 1;
        for (let p = 0; p < 1024; p++) img.data.set([data[o + p], data[o + 1024 + p], data[o + 2048 + p], 255], p * 4);
        return img;
      });
      const blobs = await Promise.all(
        images.map((img) => {
          const canvas = new OffscreenCanvas(32, 32);
          canvas.getContext('2d')!.putImageData(img, 0, 0);
          return canvas.convertToBlob({ type: 'image/png' });
        }),
      );
      const inputs = [...images, ...blobs];
      const probs = (res: { top: { index: number; prob: number }[] }) => {
        const p = new Array<number>(10).fill(-1);
        for (const t of res.top) p[t.index] = t.prob;
        return p;
      };

      const one = await xnor.loadModel(url, { workers: 1 });
      const sequential: number[][] = [];
      for (const x of inputs) sequential.push(probs(await one.classify(x, { transfer: false, top: 10 })));
      const concurrent1 = (await Promise.all(inputs.map((x) => one.classify(x, { transfer: false, top: 10 })))).map(probs);
      const stats1 = one.stats();
      one.dispose();

      const two = await xnor.loadModel(url, { workers: 2 });
      const concurrent2 = (await Promise.all(inputs.map((x) => two.classify(x, { transfer: false, top: 10 })))).map(probs);
      const stats2 = two.stats();
      const perWorker = (await two.workerStats()).map((s) => s.classified);
      two.dispose();
      return { sequential, concurrent1, concurrent2, stats1, stats2, perWorker };
    },
    { url: model, n: N },
  );

  expect(r.sequential).toHaveLength(2 * N);
  // PNG Blobs decode to the very pixels of the ImageData.
  expect(r.sequential.slice(N)).toEqual(r.sequential.slice(0, N));
  // Not all the same answer (the images differ, so a mix-up would show).
  expect(new Set(r.sequential.map((p) => p.indexOf(Math.max(...p)))).size).toBeGreaterThan(3);
  expect(r.concurrent1).toEqual(r.sequential);
  expect(r.concurrent2).toEqual(r.sequential);
  expect(r.stats1).toEqual({ classified: 4 * N, dropped: 0, restarts: 0 });
  expect(r.stats2).toEqual({ classified: 2 * N, dropped: 0, restarts: 0 });
  // Both workers took calls.
  expect(r.perWorker).toHaveLength(2);
  expect(Math.min(...r.perWorker)).toBeGreaterThan(0);
  expect(r.perWorker[0] + r.perWorker[1]).toBe(2 * N);
});
