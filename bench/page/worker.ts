// One bench worker per engine and measurement (a fresh worker: no state carried between engines).
// The engine module is imported on demand, so each worker loads one engine only.
import type { Closed, ColdStartResult, Opened, RunConfig, StemRow, WorkerReply, WorkerRequest } from './protocol.js';
import type { Load, Loaded } from './engines/engine.js';

const ENGINES: Record<RunConfig['engine'], () => Promise<{ load: Load }>> = {
  'xnor-web': () => import('./engines/xnor.js'),
  'onnxruntime-web': () => import('./engines/ort.js'),
  'tfjs-wasm': () => import('./engines/tfjs.js'),
};

const isolated = () => (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;

let engine: Loaded | null = null;

async function open(config: RunConfig): Promise<Opened> {
  const { load } = await ENGINES[config.engine]();
  const t0 = performance.now();
  engine = await load(config);
  const loadMs = performance.now() - t0;
  const t1 = performance.now();
  await engine.run();
  return { load_ms: loadMs, first_run_ms: performance.now() - t1 };
}

async function time(n: number): Promise<number[]> {
  if (!engine) throw new Error('bench worker: time before open');
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await engine.run();
    times.push(performance.now() - t0);
  }
  return times;
}

function close(): Closed {
  if (!engine) throw new Error('bench worker: close before open');
  try {
    return { threads_used: engine.threadsUsed, threads_source: engine.threadsSource, cross_origin_isolated: isolated(), detail: engine.detail };
  } finally {
    engine.dispose();
    engine = null;
  }
}

/** Resource Timing of the first fetched URL that ends with `suffix` (0 when absent). */
function fetchMs(suffix: string): number {
  const entries = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
  const e = entries.find((r) => new URL(r.name).pathname.endsWith(suffix));
  return e ? e.responseEnd - e.startTime : 0;
}

async function cold(url: string): Promise<ColdStartResult> {
  const [{ openModel: loadModel }, { threadsOf }] = await Promise.all([import('../../src/runtime/model.js'), import('./engines/xnor.js')]);
  const t0 = performance.now();
  const model = await loadModel(url, { threads: 1 });
  const loadMs = performance.now() - t0;
  const t1 = performance.now();
  model.run(new Float32Array(model.inputShape.reduce((a, b) => a * b, 1)));
  const firstRun = performance.now() - t1;
  const modelFetch = fetchMs('.xnn');
  const wasmFetch = fetchMs('.wasm');
  const threadsUsed = threadsOf(model).used;
  model.dispose();
  const t2 = performance.now();
  (await loadModel(url, { threads: 1 })).dispose();
  return {
    load_ms: loadMs,
    model_fetch_ms: modelFetch,
    wasm_fetch_ms: wasmFetch,
    after_fetch_ms: loadMs - modelFetch,
    first_run_ms: firstRun,
    warm_load_ms: performance.now() - t2,
    threads_used: threadsUsed,
  };
}

/** The integer stem against the float stem, each layer, on the fma build and the default one. */
async function stems(): Promise<StemRow[]> {
  const [{ XnorKernels }, { STEM_LAYERS, benchIntStem }] = await Promise.all([import('../../src/wasm/kernels.js'), import('../stems.js')]);
  const builds = [await XnorKernels.load({ fma: true }), await XnorKernels.load()];
  return builds.flatMap((k) => STEM_LAYERS.map((l) => benchIntStem(k, l.name, l.g)));
}

self.onmessage = async (e: MessageEvent<WorkerRequest>) => {
  let reply: WorkerReply;
  try {
    const req = e.data;
    const result =
      req.kind === 'open' ? await open(req.config)
      : req.kind === 'time' ? await time(req.n)
      : req.kind === 'close' ? close()
      : req.kind === 'cold' ? await cold(req.url)
      : await stems();
    reply = { ok: true, result };
  } catch (err) {
    reply = { ok: false, error: (err as Error)?.stack ?? String(err) };
  }
  self.postMessage(reply);
};
