// Starts one kernel worker (./kernel-worker.js): a module Web Worker in browsers, worker_threads in Node
// (imported on first use); the only place that knows the difference.

export interface KernelWorker {
  post(message: unknown): void;
  /** Handler for what the worker posts back ({ ready } or { error }). */
  onMessage(handler: (message: { ready?: boolean; error?: string }) => void): void;
  /** Handler for the worker failing to start or dying (script missing, CSP worker-src …). */
  onError(handler: (error: Error) => void): void;
  terminate(): void;
}

const isNode = () => !!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;

export async function spawnKernelWorker(index: number): Promise<KernelWorker> {
  if (!isNode()) {
    // The literal `new Worker(new URL('./kernel-worker.js', import.meta.url), { type: 'module' })`
    // is what Vite and webpack detect to emit the worker script; keep it literal.
    const w = new Worker(new URL('./kernel-worker.js', import.meta.url), { type: 'module', name: `xnor-kernels-${index}` });
    return {
      post: (m) => w.postMessage(m),
      onMessage: (h) => w.addEventListener('message', (e) => h(e.data)),
      onError: (h) => {
        w.addEventListener('error', (e) => h(new Error(e.message || 'the kernel worker script failed to load')));
        w.addEventListener('messageerror', () => h(new Error('the kernel worker could not receive its module or memory')));
      },
      terminate: () => w.terminate(),
    };
  }
  // Not literals, and marked: browser bundlers must leave these Node-only paths alone.
  const wt = 'node:worker_threads';
  const { Worker: NodeWorker }: typeof import('node:worker_threads') = await import(/* webpackIgnore: true */ /* @vite-ignore */ wt);
  const file = './kernel-worker.js';
  // execArgv: [] — the worker is plain JS that needs no loader, and inherited flags can refuse to
  // start a worker (`node --input-type=module -e …` does).
  const w = new NodeWorker(new URL(/* webpackIgnore: true */ /* @vite-ignore */ file, import.meta.url), {
    name: `xnor-kernels-${index}`,
    execArgv: [],
  });
  // A worker parked in Atomics.wait must not keep the process alive when a model is not disposed.
  w.unref();
  return {
    post: (m) => w.postMessage(m),
    onMessage: (h) => w.on('message', h),
    onError: (h) => {
      w.on('error', h);
      w.on('exit', (code) => h(new Error(`the kernel worker exited (code ${code})`)));
    },
    terminate: () => void w.terminate(),
  };
}
