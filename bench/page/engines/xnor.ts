// xnor-web, through the synchronous Model layer (openModel) that the public loadModel runs on.
import { getCapabilities } from '../../../src/capabilities.js';
import { type Model, openModel as loadModel } from '../../../src/runtime/model.js';
import type { Load } from './engine.js';
import { randomInput } from '../timing.js';

/**
 * The thread count the runtime says it runs with (`Model.threads`: 1 when threads could not
 * start). A runtime without `Model.threads` predates threads: it always runs on one.
 */
export function threadsOf(model: Model): { used: number; source: string } {
  const t = (model as unknown as { threads?: unknown }).threads;
  if (typeof t === 'number') return { used: t, source: 'Model.threads' };
  return { used: 1, source: 'no Model.threads in this runtime: single-threaded' };
}

/** Which xnor build this worker fetched last (Vite names them xnor.relaxed-HASH.wasm and so on). */
function buildOf(): string {
  const wasm = performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname.split('/').pop()!).filter((n) => n.endsWith('.wasm'));
  return wasm.at(-1)?.replace(/-[\w-]+\.wasm$/, '.wasm') ?? 'unknown';
}

export const load: Load = async (config) => {
  const model = await loadModel(config.url!, { threads: config.threads, wasm: { relaxedSimd: config.relaxedSimd, fma: config.fma } });
  const x = randomInput(model.inputShape.reduce((a, b) => a * b, 1));
  // raw pixels (a 0..255 model) are integers, as decoded images are: the integer stem runs on them
  const [lo, hi] = model.info.input.valueRange;
  if (Number.isInteger(lo) && Number.isInteger(hi) && hi - lo > 1) for (let i = 0; i < x.length; i++) x[i] = lo + Math.floor(x[i] * (hi - lo + 1));
  const t = threadsOf(model);
  const caps = getCapabilities();
  return {
    run: () => model.run(x),
    threadsUsed: t.used,
    threadsSource: t.source,
    // read after the timed runs: the popcount race runs during the warm-up (after the 3rd inference)
    get detail() {
      return { popcount: getCapabilities().popcount ?? 'unknown', simd: caps.simd, build: buildOf(), layout: 'NHWC' };
    },
    dispose: () => model.dispose(),
  };
};
