// onnxruntime-node in a worker thread, for tests/models/shipped.test.ts. ORT's session.run
// works on another thread but holds back the event loop of the thread that awaits it, so
// it gets a thread of its own while the test's thread runs our WASM runtime.
// workerData: { jobs: [{ name, onnx (path), pixels (Uint8Array, N×H×W×C interleaved), n, h, w, c, range: [lo, hi] }], batch }
// Posts { name, logits (Float32Array N×K), ms } per job, in order, or { name, error }.

import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';

for (const { name, onnx, pixels, n, h, w, c, range } of workerData.jobs) {
  try {
    const t0 = performance.now();
    const session = await ort.InferenceSession.create(readFileSync(onnx), { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const per = c * h * w;
    let logits;
    for (let b = 0; b < n; b += workerData.batch) {
      const m = Math.min(workerData.batch, n - b);
      // NCHW floats in the model's declared value range, from the same 8-bit pixels our
      // runtime gets, by the formula of src/image/preprocess.ts (lo + p·(hi − lo)/255).
      const [lo, hi] = range;
      const k = (hi - lo) / 255;
      const x = new Float32Array(m * per);
      for (let i = 0; i < m; i++)
        for (let ch = 0; ch < c; ch++)
          for (let p = 0; p < h * w; p++) x[i * per + ch * h * w + p] = lo + pixels[(b + i) * per + p * c + ch] * k;
      const r = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [m, c, h, w]) });
      const y = r[session.outputNames[0]].data;
      logits ??= new Float32Array(n * (y.length / m));
      logits.set(y, b * (y.length / m));
    }
    await session.release();
    parentPort.postMessage({ name, logits, ms: performance.now() - t0 }, [logits.buffer]);
  } catch (e) {
    parentPort.postMessage({ name, error: String(e?.stack ?? e) });
  }
}
