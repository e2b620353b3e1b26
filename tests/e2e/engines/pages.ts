// Functions the cross-engine suite runs inside the pages (serialised by EnginePage.evaluate:
// self-contained, no imports or closures; window.xnor is web/demo/api.html's library).
import type { Kind } from './reference.js';

export interface PageRun {
  model: string;
  kind: Kind;
  /** undefined: the library's default (the relaxed or plain build: the same bits); true: the fma build where available. */
  fma: boolean | undefined;
  n: number;
  files: string[];
  /** Harness self-test: flip the lowest bit of one probability before it leaves the page. */
  perturb?: { image: number; cls: number };
}

/** Runs in the page: classifies the data set in a model worker; the probabilities as base64. */
export async function classifyInPage(a: PageRun) {
  const { xnor } = window;
  const caps = xnor.getCapabilities();
  const c = await xnor.loadModel(a.model, { workers: 1, wasm: { fma: a.fma } });
  const classes = c.loaded.outputShape[c.loaded.outputShape.length - 1];
  const out = new Float32Array(a.n * classes).fill(Number.NaN);
  const put = (i: number, top: { index: number; prob: number }[]) => {
    for (const t of top) out[i * classes + t.index] = t.prob;
  };
  const pixelSha256: string[] = [];
  const hex = (b: ArrayBuffer) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
  const t0 = performance.now();
  if (a.kind === 'cifar') {
    const data = new Uint8Array(await (await fetch('/__engines/cifar10/test_batch.bin')).arrayBuffer());
    const image = (i: number) => {
      const img = new ImageData(32, 32);
      const o = i * 3073 + 1;
      for (let p = 0; p < 1024; p++) {
        img.data[p * 4] = data[o + p];
        img.data[p * 4 + 1] = data[o + 1024 + p];
        img.data[p * 4 + 2] = data[o + 2048 + p];
        img.data[p * 4 + 3] = 255;
      }
      return img;
    };
    for (let b = 0; b < a.n; b += 100) {
      const ids = Array.from({ length: Math.min(100, a.n - b) }, (_, k) => b + k);
      const res = await Promise.all(ids.map((i) => c.classify(image(i), { top: classes })));
      res.forEach((r, k) => put(ids[k], r.top));
    }
  } else {
    // The page's own decode of each photo, as the worker does it, hashed (RGB bytes).
    const pixels = async (blob: Blob) => {
      const bmp = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
      const canvas = new OffscreenCanvas(bmp.width, bmp.height);
      const g = canvas.getContext('2d', { willReadFrequently: true })!;
      g.drawImage(bmp, 0, 0);
      bmp.close();
      const rgba = g.getImageData(0, 0, canvas.width, canvas.height).data;
      const rgb = new Uint8Array((rgba.length / 4) * 3);
      for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
        rgb[q] = rgba[p];
        rgb[q + 1] = rgba[p + 1];
        rgb[q + 2] = rgba[p + 2];
      }
      return hex(await crypto.subtle.digest('SHA-256', rgb));
    };
    for (let b = 0; b < a.n; b += 8) {
      const ids = Array.from({ length: Math.min(8, a.n - b) }, (_, k) => b + k);
      const blobs = await Promise.all(ids.map(async (i) => (await fetch(`/__engines/imagenet/${a.files[i]}`)).blob()));
      const [res, hashes] = await Promise.all([
        Promise.all(blobs.map((blob) => c.classify(blob, { top: classes }))),
        Promise.all(blobs.map(pixels)),
      ]);
      res.forEach((r, k) => put(ids[k], r.top));
      hashes.forEach((h, k) => (pixelSha256[ids[k]] = h));
    }
  }
  const ms = performance.now() - t0;
  const stats = c.stats();
  const loaded = { threads: c.loaded.threads, simd: c.loaded.simd, crossOriginIsolated: c.loaded.crossOriginIsolated };
  c.dispose();
  if (a.perturb) new Uint32Array(out.buffer)[a.perturb.image * classes + a.perturb.cls] ^= 1;
  const bytes = new Uint8Array(out.buffer);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { b64: btoa(bin), classes, n: a.n, pixelSha256, stats, loaded, caps, ms };
}

