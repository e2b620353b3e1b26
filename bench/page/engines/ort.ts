// onnxruntime-web, WASM execution provider (SIMD + threads), its .wasm/.mjs served from
// node_modules/onnxruntime-web/dist at /ort/ (see bench/site.ts).
import * as ort from 'onnxruntime-web/wasm';
import type { Load } from './engine.js';
import { randomInput } from '../timing.js';

export const load: Load = async (config) => {
  ort.env.wasm.wasmPaths = new URL('/ort/', self.location.href).href;
  ort.env.wasm.numThreads = config.threads;
  ort.env.wasm.proxy = false;
  const session = await ort.InferenceSession.create(config.url!, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
  const input = new ort.Tensor('float32', randomInput(3 * 224 * 224), [1, 3, 224, 224]);
  const feeds = { [session.inputNames[0]]: input };
  return {
    run: async () => {
      const out = await session.run(feeds);
      for (const t of Object.values(out)) t.dispose();
    },
    // ORT resets numThreads to 1 when it cannot run threads (not cross-origin isolated).
    threadsUsed: ort.env.wasm.numThreads ?? 1,
    threadsSource: 'ort.env.wasm.numThreads after InferenceSession.create',
    detail: { version: ort.env.versions.web ?? '', layout: 'NCHW' },
    dispose: () => void session.release(),
  };
};
