// A Session on this thread (loadModel with workers: 0): the async interface over the
// synchronous Model, classifying with the same code as a model worker (worker/api.ts).

import { DisposedError, InputError } from '../errors.js';
import { type ClassifyOptions, type LoadOptions, type Session, type SessionStats, setLocalSession, wasmOptionsOf } from '../session.js';
import { classifyWith, loadResultOf } from '../worker/api.js';
import { type ImageInput, toFrame } from '../worker/frames.js';
import type { ModelSource } from './fetch-model.js';
import { openModel } from './model.js';

async function openLocalSession(source: ModelSource, opts: LoadOptions, t0: number): Promise<Session> {
  const w = wasmOptionsOf(opts.wasm);
  const { backend, signal, onProgress, integrity, cache, threads } = opts;
  const m = await openModel(source, {
    backend,
    signal,
    onProgress,
    integrity,
    cache,
    threads,
    wasm: { source: w.url, threadedSource: w.threadedUrl, relaxedSimd: w.relaxedSimd, fma: w.fma, debug: w.debug, popcount: w.popcount },
  });
  const loaded = loadResultOf(m, t0);
  const stats: SessionStats = { classified: 0, dropped: 0, restarts: 0 };
  let disposed = false;
  const classify = async (input: ImageInput, o: ClassifyOptions = {}) => {
    if (disposed) throw new DisposedError('this session was disposed');
    const { frame } = await toFrame(input, true); // nothing crosses a thread: no copy
    const r = await classifyWith(m, frame, o.top ?? opts.top ?? 5, o.fit ?? opts.fit ?? 'auto');
    stats.classified++;
    return r;
  };
  return {
    info: m.info,
    inputShape: m.inputShape,
    outputShape: m.outputShape,
    backend: m.backendName,
    threads: m.threads,
    workers: 0,
    modelBytes: m.modelBytes,
    loaded,
    run: async (input) => m.run(input),
    classify,
    // Inference here is synchronous: a frame is never waiting behind another, none is dropped.
    classifyFrame: classify,
    stats: () => ({ ...stats }),
    workerStats: async () => [{ wasmMemoryBytes: m.memoryBytes, classified: stats.classified }],
    terminateWorker() {
      throw new InputError('this session runs on this thread (workers: 0): there is no worker to terminate');
    },
    dispose() {
      disposed = true;
      m.dispose();
    },
  };
}

setLocalSession(openLocalSession);
