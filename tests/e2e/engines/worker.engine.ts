// The worker pipeline in each engine: errors keep their names (and classes) across the worker
// boundary; a crashed worker is restarted; the concurrency and soak specs of tests/e2e at a
// reduced count (20 images ×2 concurrent, 300 soak calls).
import { readFileSync } from 'node:fs';
import { sharedFiles } from '../../helpers/shared.js';
import { requireModel } from '../models.js';
import { expect, test } from './fixtures.js';

test('errors cross the worker boundary with their names; a terminated worker is restarted', async ({ openApi, record }) => {
  const model = requireModel('cifar10-xnor.xnn');
  const big = requireModel('imagenet-resnet18.xnn');
  const page = await openApi();
  const r = await page.evaluate(
    async ({ url, bigUrl }) => {
      const { xnor } = window;
      const name = (e: unknown) => ({ name: (e as Error).name, isClass: e instanceof xnor.XnorError });
      const bad = await xnor.createClassifier({ model: new Uint8Array(64).fill(7) }).then(() => null, name);
      const html = await xnor.createClassifier({ model: 'index.html' }).then(() => null, name);
      const missing = await xnor.createClassifier({ model: 'models/no-such-model.xnn' }).then(() => null, name);
      const c = await xnor.createClassifier({ model: url, workers: 1 });
      const notImage = await c.classify(new Blob(['not an image'], { type: 'image/png' })).then(() => null, name);
      const tiny = await c.classify({ width: 1, height: 1, channels: 3, data: new Uint8Array(2) }).then(() => null, name);
      c.dispose();
      const disposed = await c.classify(new ImageData(32, 32)).then(() => null, name);
      // A worker killed with calls in flight (ResNet-18 on a photo: slow enough to catch).
      const blob = await (await fetch('samples/coffee.png')).blob();
      const k = await xnor.createClassifier({ model: bigUrl, workers: 1 });
      const pending = [k.classify(blob), k.classify(blob)];
      await new Promise((ok) => setTimeout(ok, 5));
      k.terminateWorker(0);
      const crashed = (await Promise.allSettled(pending)).map((s) => (s.status === 'rejected' ? name(s.reason) : 'resolved'));
      const after = (await k.classify(blob)).top[0].label;
      const restarts = k.stats().restarts;
      k.dispose();
      return { bad, html, missing, notImage, tiny, disposed, crashed, after, restarts };
    },
    { url: model, bigUrl: big },
  );
  expect(r.bad).toEqual({ name: 'ModelFormatError', isClass: true });
  expect(r.html).toEqual({ name: 'ModelHtmlError', isClass: true });
  expect(r.missing).toEqual({ name: 'ModelFetchError', isClass: true });
  expect(r.notImage).toEqual({ name: 'ImageDecodeError', isClass: true });
  expect(r.tiny).toEqual({ name: 'InputError', isClass: true });
  expect(r.disposed).toEqual({ name: 'DisposedError', isClass: true });
  expect(r.crashed).toEqual([
    { name: 'WorkerCrashedError', isClass: true },
    { name: 'WorkerCrashedError', isClass: true },
  ]);
  expect(r.after).toBe('espresso');
  expect(r.restarts).toBe(1);
  record({ errors: ['ModelFormatError', 'ModelHtmlError', 'ModelFetchError', 'ImageDecodeError', 'InputError', 'DisposedError', 'WorkerCrashedError'] });
});

const N = 20;

test(`${2 * N} concurrent classify() calls equal sequential ones, with 1 and 2 workers`, async ({ openApi }) => {
  const model = requireModel('cifar10-xnor.xnn');
  const files = sharedFiles('data/cifar10/test_batch.bin');
  test.skip(!files, 'shared/data/cifar10/test_batch.bin is missing');
  expect(readFileSync(files![0]).length).toBeGreaterThan(N * 3073);
  const page = await openApi();
  const r = await page.evaluate(
    async ({ url, n }) => {
      const { xnor } = window;
      const data = new Uint8Array(await (await fetch('/__engines/cifar10/test_batch.bin')).arrayBuffer());
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
      const one = await xnor.createClassifier({ model: url, workers: 1 });
      const sequential: number[][] = [];
      for (const x of inputs) sequential.push(probs(await one.classify(x, { transfer: false, top: 10 })));
      const concurrent1 = (await Promise.all(inputs.map((x) => one.classify(x, { transfer: false, top: 10 })))).map(probs);
      const stats1 = one.stats();
      one.dispose();
      const two = await xnor.createClassifier({ model: url, workers: 2 });
      const concurrent2 = (await Promise.all(inputs.map((x) => two.classify(x, { transfer: false, top: 10 })))).map(probs);
      const stats2 = two.stats();
      const perWorker = (await two.workerStats()).map((s) => s.classified);
      two.dispose();
      return { sequential, concurrent1, concurrent2, stats1, stats2, perWorker };
    },
    { url: model, n: N },
  );
  expect(r.sequential).toHaveLength(2 * N);
  expect(r.sequential.slice(N)).toEqual(r.sequential.slice(0, N)); // PNG Blobs decode to the same pixels
  expect(new Set(r.sequential.map((p) => p.indexOf(Math.max(...p)))).size).toBeGreaterThan(3);
  expect(r.concurrent1).toEqual(r.sequential);
  expect(r.concurrent2).toEqual(r.sequential);
  expect(r.stats1).toEqual({ classified: 4 * N, dropped: 0, restarts: 0 });
  expect(r.stats2).toEqual({ classified: 2 * N, dropped: 0, restarts: 0 });
  expect(r.perWorker).toHaveLength(2);
  expect(Math.min(...r.perWorker)).toBeGreaterThan(0);
});

const SOAK = 300;

test(`soak: ${SOAK} classify() calls in a worker, WASM memory fixed, answers stable`, async ({ openApi }) => {
  const model = requireModel('fashion-mnist-xnor.xnn');
  const page = await openApi();
  const r = await page.evaluate(
    async ({ url, count }) => {
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
      const c = await xnor.createClassifier({ model: url, workers: 1 });
      const run = async (n: number, inFlight = 8) => {
        const tops: string[] = new Array(images.length);
        let next = 0;
        await Promise.all(
          Array.from({ length: inFlight }, async () => {
            while (next < n) {
              const i = next++ % images.length;
              tops[i] = JSON.stringify((await c.classify(images[i], { transfer: false, top: 3 })).top);
            }
          }),
        );
        return tops;
      };
      const first = await run(64, 1);
      const warm = (await c.workerStats())[0].wasmMemoryBytes;
      await run(count);
      const last = await run(64, 1);
      const end = (await c.workerStats())[0].wasmMemoryBytes;
      const totals = c.stats();
      c.dispose();
      return { first, last, warm, end, totals, distinct: new Set(first).size };
    },
    { url: model, count: SOAK },
  );
  expect(r.totals).toEqual({ classified: SOAK + 128, dropped: 0, restarts: 0 });
  expect(r.warm).toBeGreaterThan(0);
  expect(r.end).toBe(r.warm);
  expect(r.distinct).toBeGreaterThan(1);
  expect(r.last).toEqual(r.first);
});
