// What runs next to a model, in a worker or on this thread: load from bytes, classify a Frame, run a tensor;
// worker.ts exposes createWorkerApi with comlink, session.ts calls classifyWith directly. One model per instance.

import { InputError, ModelFormatError } from '../errors.js';
import type { Fit } from '../image/preprocess.js';
import { type Model, openModel } from '../runtime/model.js';
import { simdSupported } from '../wasm/features.js';
import { frameToRawImage } from './frames.js';
import type { ClassifyResult, Frame, LoadRequest, LoadResult, WorkerApi, WorkerStats } from './protocol.js';

/** Classifies one Frame on `m`; `ms` counts decoding too. */
export async function classifyWith(m: Model, frame: Frame, top = 5, fit: Fit = 'auto'): Promise<ClassifyResult> {
  if (!Number.isInteger(top) || top < 1) throw new InputError(`top must be a positive integer, got ${top}`);
  const t0 = performance.now();
  const img = await frameToRawImage(frame);
  const decodeMs = performance.now() - t0;
  const r = m.classifyTimed(img, { top, fit });
  const preprocessMs = decodeMs + r.preprocessMs;
  return { top: r.top, ms: preprocessMs + r.inferMs, preprocessMs, inferMs: r.inferMs, width: img.width, height: img.height };
}

/** What a loaded model reports (LoadResult), `t0` being when its load began. */
export function loadResultOf(m: Model, t0: number): LoadResult {
  return {
    info: m.info,
    inputShape: [...m.inputShape],
    outputShape: [...m.outputShape],
    backend: m.backendName,
    simd: simdSupported(),
    crossOriginIsolated: !!(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated,
    threads: m.threads,
    loadMs: performance.now() - t0,
  };
}

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
        const wasm = { source: req.wasm, relaxedSimd: req.relaxedSimd, fma: req.fma };
        next = await openModel(bytes, { wasm, threads: req.threads, backend: req.backend });
      } catch (e) {
        if (e instanceof ModelFormatError && req.name) throw new ModelFormatError(`${req.name}: ${e.message.replace(/^<bytes>: /, '')}`);
        throw e;
      }
      // One throw-away run, so that the first real frame does not pay for JIT warm-up.
      if (req.warmup !== false) next.run(new Float32Array(next.inputShape.reduce((a, b) => a * b, 1)));
      model?.dispose();
      model = next;
      return loadResultOf(next, t0);
    },

    async classify(req) {
      const r = await classifyWith(live(), req.frame, req.top, req.fit);
      classified++;
      return r;
    },

    async run(input) {
      return live().run(input);
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
