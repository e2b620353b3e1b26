// The shipped models (models/*.xnn, built by scripts/ship-models.sh from
// training/checkpoints/*.ckpt) on their FULL test sets (10,000 images each):
//  - our WASM runtime's top-1 equals the accuracy recorded in the metadata and meets the bar;
//  - onnxruntime-node on the ONNX exported from the same checkpoint (at test time, cached in
//    tests/.cache/ship/) gives the same top-1 per image and logits within 1e-3 relative.
// Both inputs are built from the same raw pixels: ours NHWC through preprocessImage, ORT's
// NCHW by the same formula, in the value range the .xnn declares (0..255 for the XNOR nets'
// exact-parity form, training/xnor_torch/exact.py; 0..1 otherwise).
//
// Time: our BWN CIFAR ResNet is the long pole (~15 ms/image in WASM). ORT runs in a worker
// thread (ort-worker.mjs), all models queued in beforeAll, overlapping our evaluation.
// Missing data or Python: skipped locally, failed when CI=true.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compare, formatStats } from '../../scripts/onnx-parity.js';
import { openDataset, type Sample } from '../../src/data/index.js';
import { readXnn } from '../../src/format/index.js';
import { openModel as loadModel, softmax, topK } from '../../src/runtime/model.js';
import { preprocessImage } from '../../src/image/preprocess.js';
import { PYTHON, pythonMissing } from '../fixtures/onnx-fixtures.js';
import { REPO_ROOT, fashionMnistDir, sharedFiles } from '../helpers/shared.js';

const fashion = fashionMnistDir();
const cifar = sharedFiles('data/cifar10/test_batch.bin')?.[0] ?? null;
const noPython = pythonMissing();
const SHIP = join(REPO_ROOT, 'tests/.cache/ship');

interface Shipped {
  name: string;
  data: string | null;
  dataset: string;
  bar: number;
}
// Our runtime goes down this list; CIFAR BWN first, its slow WASM evaluation covers the ORT runs
// of both CIFAR models, which the ORT worker takes in ORT_ORDER.
const MODELS: Shipped[] = [
  { name: 'fashion-mnist-xnor', data: fashion, dataset: 'fashion-mnist-test', bar: 0.9 },
  { name: 'fashion-mnist-bwn', data: fashion, dataset: 'fashion-mnist-test', bar: 0.92 },
  { name: 'cifar10-bwn', data: cifar, dataset: 'cifar10-test', bar: 0.85 },
  { name: 'cifar10-xnor', data: cifar, dataset: 'cifar10-test', bar: 0.8 },
];
const ORT_ORDER = ['fashion-mnist-xnor', 'fashion-mnist-bwn', 'cifar10-xnor', 'cifar10-bwn'];
const TOL = 1e-3;
const ORT_BATCH = 200;

const samples = new Map<string, Promise<Sample[]>>();
function testSet(path: string): Promise<Sample[]> {
  if (!samples.has(path))
    samples.set(path, (async () => {
      const out: Sample[] = [];
      for await (const s of await openDataset(path)) out.push(s);
      return out;
    })());
  return samples.get(path)!;
}

/** tests/.cache/ship/NAME.onnx, exported again when the checkpoint is newer. */
function exportOnnx(name: string): string {
  const ckpt = join(REPO_ROOT, 'training/checkpoints', `${name}.ckpt`);
  const onnx = join(SHIP, `${name}.onnx`);
  if (existsSync(onnx) && statSync(onnx).mtimeMs >= statSync(ckpt).mtimeMs) return onnx;
  mkdirSync(SHIP, { recursive: true });
  const tmp = join(SHIP, `${name}.tmp.onnx`);
  const r = spawnSync(PYTHON, [join(REPO_ROOT, 'training/export_ckpt.py'), ckpt, '--onnx', tmp], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`export_ckpt.py ${name} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}`);
  renameSync(tmp, onnx);
  return onnx;
}

interface OrtResult {
  logits: Float32Array[];
  ms: number;
}
const ours = new Map<string, Float32Array[]>();
const orts = new Map<string, Promise<OrtResult>>();
let worker: Worker | undefined;

/** Queues every model on one ORT worker thread; per model, the promise of its logits. */
async function startOrt(models: Shipped[]) {
  const jobs: { name: string; onnx: string; pixels: Uint8Array; n: number; h: number; w: number; c: number; range: [number, number] }[] = [];
  for (const m of models) {
    const set = await testSet(m.data!);
    const { width: w, height: h, channels: c } = set[0].image;
    const pixels = new Uint8Array(set.length * w * h * c);
    set.forEach((s, i) => pixels.set(s.image.data, i * w * h * c));
    const range = readXnn(readFileSync(join(REPO_ROOT, 'models', `${m.name}.xnn`))).metadata.input.valueRange;
    jobs.push({ name: m.name, onnx: exportOnnx(m.name), pixels, n: set.length, h, w, c, range });
  }
  worker = new Worker(new URL('./ort-worker.mjs', import.meta.url), { workerData: { jobs, batch: ORT_BATCH } });
  const waiting = new Map<string, { resolve: (r: OrtResult) => void; reject: (e: Error) => void }>();
  for (const { name } of jobs) {
    const p = new Promise<OrtResult>((resolve, reject) => waiting.set(name, { resolve, reject }));
    p.catch(() => {}); // reported by the test that awaits it
    orts.set(name, p);
  }
  worker.on('message', (r: { name: string; logits?: Float32Array; ms: number; error?: string }) => {
    const job = jobs.find((j) => j.name === r.name)!;
    const w = waiting.get(r.name)!;
    waiting.delete(r.name);
    if (r.error) return w.reject(new Error(`onnxruntime-node on ${r.name}: ${r.error}`));
    const k = r.logits!.length / job.n;
    w.resolve({ ms: r.ms, logits: Array.from({ length: job.n }, (_, i) => r.logits!.subarray(i * k, (i + 1) * k)) });
  });
  const fail = (e: Error) => {
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the ORT worker exited (${code}) before finishing`)));
}

describe('shipped models on their full test sets', () => {
  beforeAll(async () => {
    if (!noPython) await startOrt(MODELS.filter((m) => m.data).sort((a, b) => ORT_ORDER.indexOf(a.name) - ORT_ORDER.indexOf(b.name)));
  }, 300_000);

  afterAll(async () => {
    await worker?.terminate();
  });

  for (const m of MODELS) {
    it.skipIf(!m.data)(`${m.name}: WASM top-1 on the full test set = the recorded accuracy, ≥ ${m.bar}`, async () => {
      const set = await testSet(m.data!);
      expect(set).toHaveLength(10_000);
      const model = await loadModel(join(REPO_ROOT, 'models', `${m.name}.xnn`));
      const rec = model.info.accuracy.find((a) => a.dataset === m.dataset);
      expect(rec, `${m.name} records accuracy on ${m.dataset}`).toMatchObject({ n: 10_000 });
      const t0 = performance.now();
      const logits: Float32Array[] = [];
      let top1 = 0;
      try {
        for (const s of set) {
          const y = model.run(preprocessImage(s.image, model.info)).data;
          logits.push(y);
          // As `xnor-web eval` does (Model.classify): top of the softmax.
          if (topK(softmax(y), 1)[0].index === s.label) top1++;
        }
      } finally {
        model.dispose();
      }
      ours.set(m.name, logits);
      const acc = top1 / set.length;
      const secs = (performance.now() - t0) / 1000;
      console.log(`${m.name}: WASM top-1 ${acc.toFixed(4)} on ${set.length} (recorded ${rec!.top1}) in ${secs.toFixed(1)} s`);
      expect(Math.abs(acc - rec!.top1)).toBeLessThanOrEqual(0.001);
      expect(acc).toBeGreaterThanOrEqual(m.bar);
    }, 900_000);

    it.skipIf(!m.data || !!noPython)(`${m.name}: same top-1 as onnxruntime-node, logits within ${TOL} relative`, async () => {
      const set = await testSet(m.data!);
      const ref = await orts.get(m.name)!;
      const mine = ours.get(m.name);
      expect(mine, `${m.name}: our evaluation did not finish`).toBeDefined();
      const s = compare(mine!, ref.logits, TOL);
      const top = (y: Float32Array) => topK(y, 1)[0].index;
      const ortTop1 = set.filter((x, i) => top(ref.logits[i]) === x.label).length / set.length;
      const flips = set.map((_, i) => i).filter((i) => top(mine![i]) !== top(ref.logits[i]));
      const over = s.rel.map((r, i) => [r, i]).filter(([r]) => !(r <= TOL));
      console.log(`${formatStats(`${m.name} ours vs ort`, s, TOL)}; ORT top-1 ${ortTop1.toFixed(4)} in ${(ref.ms / 1000).toFixed(1)} s`);
      for (const i of flips)
        console.log(`  #${i}: ours ${top(mine![i])} ORT ${top(ref.logits[i])} (label ${set[i].label}, rel ${s.rel[i].toExponential(2)})`);
      expect(s.n).toBe(10_000);
      expect(flips, `${m.name}: argmax differs on #${flips.join(' #')}`).toHaveLength(0);
      const shown = over.slice(0, 50).map(([r, i]) => `#${i} ${r.toExponential(1)}`).join(' ');
      expect(over.length, `${m.name}: over ${TOL}: ${shown}${over.length > 50 ? ' …' : ''}`).toBe(0);
      expect(s.medianRel).toBeLessThan(1e-5);
    }, 900_000);
  }
});
