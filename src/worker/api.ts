// The model worker's API as a plain object: worker.ts exposes it with comlink, and it runs
// unchanged on the main thread (tests, or pages that want no worker). One model per instance.

import { InputError, ModelFormatError } from '../errors.js';
import { fitSpec, preprocessImage } from '../image/preprocess.js';
import { Model, loadModel, softmax, topK } from '../runtime/model.js';
import { simdSupported } from '../wasm/features.js';
import { frameToRawImage } from './frames.js';
import type { ClassifyRequest, ClassifyResult, LoadRequest, LoadResult, WorkerApi, WorkerStats } from './protocol.js';
import type { ModelInfo, RawImage } from '../types.js';


export function createWorkerApi(): WorkerApi {
  let model: Model | null = null;
  let classified = 0;

  const live = (): Model => {
    if (!model) throw new InputError('no model is loaded: call load() first');
    return model;
  };

  return {
    async load(req: LoadRequest): Promise<LoadResult> {
      const t0 = performance.now();
      const bytes = req.model instanceof Uint8Array ? req.model : new Uint8Array(req.model);
      let next: Model;
      try {
        next = await loadModel(bytes, { wasm: { source: req.wasm, relaxedSimd: req.relaxedSimd }, threads: req.threads });
      } catch (e) {
        if (e instanceof ModelFormatError && req.name) throw new ModelFormatError(`${req.name}: ${e.message.replace(/^<bytes>: /, '')}`);
        throw e;
      }
      // One throw-away run, so that the first real frame does not pay for JIT warm-up.
      if (req.warmup !== false) next.run(new Float32Array(next.inputShape.reduce((a, b) => a * b, 1)));
      model?.dispose();
      model = next;
      return {
        info: next.info,
        inputShape: [...next.inputShape],
        outputShape: [...next.outputShape],
        backend: next.backendName,
        simd: simdSupported(),
        crossOriginIsolated: !!(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated,
        threads: next.threads,
        loadMs: performance.now() - t0,
      };
    },

    async classify(req: ClassifyRequest): Promise<ClassifyResult> {
      const m = live();
      const top = req.top ?? 5;
      if (!Number.isInteger(top) || top < 1) throw new InputError(`top must be a positive integer, got ${top}`);
      const t0 = performance.now();
      const img = await frameToRawImage(req.frame);
      const x = preprocessImage(img, fitSpec(m.info, img, req.fit ?? 'auto'));
      const t1 = performance.now();
      const y = m.run(x).data;
      const t2 = performance.now();
      const probs = m.info.output.kind === 'logits' ? softmax(y) : y;
      classified++;
      return {
        top: topK(probs, top, m.info.labels),
        ms: t2 - t0,
        preprocessMs: t1 - t0,
        inferMs: t2 - t1,
        width: img.width,
        height: img.height,
      };
    },

    stats(): WorkerStats {
      return { wasmMemoryBytes: model?.memoryBytes ?? 0, classified };
    },

    dispose(): void {
      model?.dispose();
      model = null;
    },
  };
}
