// In-browser accuracy: the BMXNet CIFAR-10 ResNet-18 through the worker pipeline
// (loadModel with workers: 1 in Chromium, 32×32 RGBA ImageData per record) must give exactly the Node
// runtime's top-1 on the first 2,000 records of shared/data/cifar10/test_batch.bin, and the
// same probabilities to 1e-6. The model declares no resize, so the worker's preprocessing of a
// 32×32 input must be the identity (fit 'auto' == fit 'strict'). Both sides run the plain wasm
// build: the runner's Node 20 has no relaxed SIMD, and the FMA build's float stem rounds
// differently, which in this (not exact-parity) BMXNet net moves some signs downstream.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { cifarDataset } from '../../src/data/cifar.js';
import { preprocessImage, softmax } from '../../src/index.js';
import { openModel as loadModel } from '../../src/runtime/model.js';
import { REPO_ROOT, sharedFiles } from '../helpers/shared.js';
import { baseUrl, requireModel } from './models.js';

const N = 2000;
const BATCH = 100; // classify() calls in flight at once
const CIFAR = 'build/cifar10-resnet18.xnn';

const argmax = (p: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  return best;
};

test('CIFAR-10 ResNet-18: worker pipeline in Chromium == Node runtime on 2,000 test images', async ({ page }) => {
  test.setTimeout(90_000);
  const model = requireModel(CIFAR);
  const files = sharedFiles('data/cifar10/test_batch.bin');
  test.skip(!files, 'shared/data/cifar10/test_batch.bin is missing');
  const batch = readFileSync(files![0]);
  const RECORD = 3073;
  const bytes = new Uint8Array(batch.buffer, batch.byteOffset, N * RECORD);

  // Browser: the bytes served to the page, classified by a worker.
  await page.route('**/__test/cifar.bin', (r) => r.fulfill({ body: Buffer.from(bytes), contentType: 'application/octet-stream' }));
  await page.goto(`${baseUrl()}/demo/api.html`);
  await expect(page.locator('#status')).toHaveText('ready');
  // Started first: the worker and the Node loop below run at the same time (two processes).
  const browserRun = page.evaluate(
    async ({ url, n, batchSize }) => {
      const { xnor } = window;
      const data = new Uint8Array(await (await fetch('/__test/cifar.bin')).arrayBuffer());
      const plane = 1024;
      const image = (i: number) => {
        const img = new ImageData(32, 32);
        const o = i * 3073 + 1;
        for (let p = 0; p < plane; p++) {
          img.data[p * 4] = data[o + p];
          img.data[p * 4 + 1] = data[o + plane + p];
          img.data[p * 4 + 2] = data[o + 2 * plane + p];
          img.data[p * 4 + 3] = 255;
        }
        return img;
      };
      const c = await xnor.loadModel(url, { workers: 1, wasm: { relaxedSimd: false } });
      const classes = c.loaded.outputShape.at(-1)!;
      const probs: number[][] = [];
      const infer: number[] = [];
      const sizes = new Set<string>();
      const t0 = performance.now();
      for (let b = 0; b < n; b += batchSize) {
        const out = await Promise.all(
          Array.from({ length: Math.min(batchSize, n - b) }, (_, k) => c.classify(image(b + k), { top: classes })),
        );
        for (const res of out) {
          const p = new Array<number>(classes);
          for (const t of res.top) p[t.index] = t.prob;
          probs.push(p);
          infer.push(res.inferMs);
          sizes.add(`${res.width}x${res.height}`);
        }
      }
      const wallMs = performance.now() - t0;
      // fit 'strict' (the model's metadata, no resize) must agree exactly with 'auto'.
      const strict: number[][] = [];
      for (let i = 0; i < 50; i++) {
        const res = await c.classify(image(i), { top: classes, fit: 'strict' });
        const p = new Array<number>(classes);
        for (const t of res.top) p[t.index] = t.prob;
        strict.push(p);
      }
      const stats = c.stats();
      c.dispose();
      infer.sort((a, b) => a - b);
      return { probs, strict, wallMs, medianInferMs: infer[infer.length >> 1], sizes: [...sizes], stats, classes };
    },
    { url: model, n: N, batchSize: BATCH },
  );
  browserRun.catch(() => undefined); // awaited below; no unhandled rejection if Node fails first

  // Node: the same records through loadModel + preprocessImage + run.
  const t0 = performance.now();
  const m = await loadModel(`${REPO_ROOT}/models/${CIFAR}`, { wasm: { relaxedSimd: false } });
  const nodeProbs: Float32Array[] = [];
  const labels: number[] = [];
  for await (const s of cifarDataset(bytes, 'test_batch.bin')) {
    if (labels.length % 50 === 0) await new Promise(setImmediate); // let Playwright talk to the page
    const y = m.run(preprocessImage(s.image, m.info)).data;
    nodeProbs.push(m.info.output.kind === 'logits' ? softmax(y) : y);
    labels.push(s.label);
  }
  m.dispose();
  const nodeMs = performance.now() - t0;
  expect(nodeProbs).toHaveLength(N);

  const r = await browserRun;

  expect(r.classes).toBe(10);
  expect(r.sizes).toEqual(['32x32']);
  expect(r.probs).toHaveLength(N);
  expect(r.stats).toMatchObject({ classified: N + 50, dropped: 0, restarts: 0 });
  expect(r.strict).toEqual(r.probs.slice(0, 50));

  let sameTop1 = 0;
  let correct = 0;
  let maxDiff = 0;
  const mismatches: string[] = [];
  for (let i = 0; i < N; i++) {
    const b = argmax(r.probs[i]);
    const nd = argmax(nodeProbs[i]);
    if (b === nd) sameTop1++;
    else if (mismatches.length < 5) mismatches.push(`#${i}: browser ${b}, node ${nd}`);
    if (b === labels[i]) correct++;
    for (let k = 0; k < 10; k++) maxDiff = Math.max(maxDiff, Math.abs(r.probs[i][k] - nodeProbs[i][k]));
  }
  console.log(
    `accuracy (CIFAR-10 ResNet-18, ${N} records): top-1 agreement ${sameTop1}/${N}, max |Δprob| ${maxDiff.toExponential(2)}, ` +
      `accuracy ${((100 * correct) / N).toFixed(2)}%; browser worker ${r.wallMs.toFixed(0)} ms ` +
      `(${(r.wallMs / N).toFixed(2)} ms/image, median inference ${r.medianInferMs.toFixed(2)} ms), Node ${nodeMs.toFixed(0)} ms`,
  );
  expect(mismatches).toEqual([]);
  expect(sameTop1).toBe(N);
  expect(maxDiff).toBeLessThanOrEqual(1e-6);
});
