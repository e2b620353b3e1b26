// One bench worker per measurement (a fresh worker: no state carried between engines).
// The engine module is imported on demand, so each worker loads one engine only.
import type { ColdStartResult, RunConfig, RunResult, WorkerReply, WorkerRequest } from './protocol.js';
import type { Load } from './engines/engine.js';
import { timeRuns } from './timing.js';

const ENGINES: Record<RunConfig['engine'], () => Promise<{ load: Load }>> = {
  'xnor-web': () => import('./engines/xnor.js'),
  'onnxruntime-web': () => import('./engines/ort.js'),
  'tfjs-wasm': () => import('./engines/tfjs.js'),
};

const isolated = () => (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;

async function run(config: RunConfig): Promise<RunResult> {
  const { load } = await ENGINES[config.engine]();
  const t0 = performance.now();
  const engine = await load(config);
  const loadMs = performance.now() - t0;
  try {
    const { first, times } = await timeRuns(() => engine.run(), Math.max(1, config.warmup), config.runs);
    return {
      times_ms: times,
      threads_used: engine.threadsUsed,
      threads_source: engine.threadsSource,
      load_ms: loadMs,
      first_run_ms: first,
      cross_origin_isolated: isolated(),
      detail: engine.detail,
    };
  } finally {
    engine.dispose();
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

self.onmessage = async (e: MessageEvent<WorkerRequest>) => {
  let reply: WorkerReply;
  try {
    reply = { ok: true, result: e.data.kind === 'run' ? await run(e.data.config) : await cold(e.data.url) };
  } catch (err) {
    reply = { ok: false, error: (err as Error)?.stack ?? String(err) };
  }
  self.postMessage(reply);
};
