// The bench page: bench/browser.ts drives it through window.bench (Playwright). Every call
// runs in a fresh module worker, as the library's own classifier does.
import type { ColdStartResult, RunConfig, RunResult, WorkerReply, WorkerRequest } from './protocol.js';

function inWorker<T>(req: WorkerRequest): Promise<T> {
  const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  return new Promise<T>((ok, fail) => {
    w.onmessage = (e: MessageEvent<WorkerReply>) => {
      w.terminate();
      if (e.data.ok) ok(e.data.result as T);
      else fail(new Error(e.data.error));
    };
    w.onerror = (e) => {
      w.terminate();
      fail(new Error(`bench worker failed: ${e.message || 'could not load the worker module'}`));
    };
    w.postMessage(req);
  });
}

const bench = {
  run: (config: RunConfig) => inWorker<RunResult>({ kind: 'run', config }),
  cold: (url: string) => inWorker<ColdStartResult>({ kind: 'cold', url }),
  info: () => ({
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    hardwareConcurrency: navigator.hardwareConcurrency,
    userAgent: navigator.userAgent,
  }),
};

declare global {
  interface Window {
    bench: typeof bench;
  }
}
window.bench = bench;
document.getElementById('status')!.textContent = 'ready';
