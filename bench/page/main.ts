// The bench page: bench/browser.ts drives it through window.bench (Playwright). Each engine
// runs in a module worker of its own, as the library's own classifier does.
import type { Closed, ColdStartResult, Opened, RunConfig, StemRow, WorkerReply, WorkerRequest } from './protocol.js';

/** Sends one request to `w` and waits for its reply. */
function ask<T>(w: Worker, req: WorkerRequest): Promise<T> {
  return new Promise<T>((ok, fail) => {
    w.onmessage = (e: MessageEvent<WorkerReply>) => (e.data.ok ? ok(e.data.result as T) : fail(new Error(e.data.error)));
    w.onerror = (e) => fail(new Error(`bench worker failed: ${e.message || 'could not load the worker module'}`));
    w.postMessage(req);
  });
}

const newWorker = () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });

/** One request in a fresh worker, terminated after. */
async function inWorker<T>(req: WorkerRequest): Promise<T> {
  const w = newWorker();
  try {
    return await ask<T>(w, req);
  } finally {
    w.terminate();
  }
}

/** Engines loaded in workers of their own, kept until closed, so that their runs can alternate. */
const open = new Map<number, Worker>();
let nextId = 0;

const bench = {
  async open(config: RunConfig): Promise<Opened & { id: number }> {
    const w = newWorker();
    const id = nextId++;
    open.set(id, w);
    return { id, ...(await ask<Opened>(w, { kind: 'open', config })) };
  },
  time: (id: number, n: number) => ask<number[]>(open.get(id)!, { kind: 'time', n }),
  async close(id: number): Promise<Closed> {
    const w = open.get(id)!;
    open.delete(id);
    try {
      return await ask<Closed>(w, { kind: 'close' });
    } finally {
      w.terminate();
    }
  },
  cold: (url: string) => inWorker<ColdStartResult>({ kind: 'cold', url }),
  stems: () => inWorker<StemRow[]>({ kind: 'stems' }),
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
