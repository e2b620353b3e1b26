// Execution backends, internal: 'wasm' (the kernels) and 'reference' (the float interpreter).
// No third backend is planned, so the registry is not public; tests add stand-ins with registerBackend.

import { XnorError } from '../errors.js';
import type { XnnModel } from '../format/xnn.js';
import type { PopcountStrategy } from '../wasm/kernels.js';
import { type StepProfile, WasmBackend, type WasmBackendOptions, type WasmKernels, planWasmBackend, startWasmKernels } from './wasm-backend.js';

/**
 * Owns whatever a model needs to run (prepared weights, WASM memory) and runs one input at a
 * time. `run` may return a view into backend-owned memory valid only until the next `run` or
 * `dispose`; Model copies it before handing it out.
 */
export interface Backend {
  /** Runs the model on one input laid out as the model's declared input shape. */
  run(input: Float32Array): Float32Array;
  /** Threads it runs on (absent: 1). */
  readonly threads?: number;
  /** Bytes of WebAssembly memory it holds, fixed at load (absent: none). */
  readonly memoryBytes?: number;
  /** The popcount strategy the kernels use (absent: no binary kernels of its own). */
  readonly popcount?: PopcountStrategy;
  /** Runs once and times each step (absent: the backend cannot). */
  profile?(input: Float32Array): StepProfile[];
  dispose(): void;
}

export type BackendName = 'wasm' | 'reference';

export interface BackendOptions {
  /** Options for the WASM backend (where xnor.wasm comes from, debug build, popcount …). */
  wasm?: WasmBackendOptions;
  signal?: AbortSignal;
}

/** A backend started before its model is known. */
export interface StartedBackend {
  /** Finishes the backend for `model`. Call it at most once, or call discard(). */
  create(model: XnnModel): Promise<Backend>;
  /** Frees what was started (workers) when create() will not be called. */
  discard(): void;
  /**
   * Optional: plans `model` while it downloads. `model` is the checked graph whose `tensors`
   * holds those that have arrived (values not yet checked) and grows; call again as more
   * arrive. create() finishes that plan when it gets the same graph (`order`), else plans
   * anew; a failure here is dropped (create() then plans anew and reports it).
   */
  planAhead?(model: XnnModel): void;
}

/**
 * What a backend is: `init` starts its model-independent part (for 'wasm': the WASM compile,
 * the kernel workers), so that it overlaps the model's download; the StartedBackend it returns
 * makes the backend for one model. Errors, an unknown name's too, come from create().
 */
export interface BackendFactory {
  init(opts: BackendOptions): StartedBackend;
}

/** The float reference interpreter: slow, obviously right; the spec every kernel is tested on. */
const reference: BackendFactory = {
  init: () => ({
    async create(model) {
      const { runReference } = await import('../reference/interpreter.js');
      return { run: (input) => runReference(model, input).output.data, dispose() {} };
    },
    discard() {},
  }),
};

/**
 * The WASM kernels (./wasm-backend.ts). Imported up front, not on first use: a lazy chunk would
 * cost a request round trip before the WASM fetch could even start, and every load with the
 * default backend needs it.
 */
const wasm: BackendFactory = {
  init(opts) {
    const ready = startWasmKernels(opts.wasm ?? {});
    // A failure is reported by create(), or not at all when the load failed before it.
    let kernels: WasmKernels | undefined;
    ready.then((k) => void (kernels = k), () => undefined);
    // The plan made ahead (one thread only: a threaded plan registers jobs with the pool), and
    // the kernels' allocation mark before it, to hand its memory back if it is not used.
    let ahead: { backend: WasmBackend; order: XnnModel['order']; mark: number } | null | undefined;
    const drop = () => {
      if (ahead && kernels) kernels.k.release(ahead.mark);
      ahead = null;
    };
    return {
      planAhead(model) {
        if (!opts.wasm?.planAhead || ahead === null || !kernels || kernels.pool) return;
        const mark = ahead?.mark ?? kernels.k.mark();
        try {
          ahead ??= { backend: new WasmBackend(model, kernels.k, opts.wasm ?? {}, null, true), order: model.order, mark };
          ahead.backend.advance();
        } catch {
          kernels.k.release(mark);
          ahead = null;
        }
      },
      create: async (model) => {
        const k = await ready;
        if (ahead && ahead.order === model.order) {
          ahead.backend.complete(model);
          return ahead.backend;
        }
        drop();
        return planWasmBackend(model, k, opts.wasm ?? {});
      },
      discard: () => void ready.then((kernels) => kernels.pool?.dispose(), () => undefined),
    };
  },
};

const registry = new Map<string, BackendFactory>([
  ['wasm', wasm],
  ['reference', reference],
]);

/** Tests: adds or replaces a backend made by one async function (no separate start). */
export function registerBackend(name: string, create: (model: XnnModel, opts: BackendOptions) => Promise<Backend>): void {
  registry.set(name, { init: (opts) => ({ create: (model) => create(model, opts), discard() {} }) });
}

export function backendNames(): string[] {
  return [...registry.keys()];
}

/** Starts backend `name` (see BackendFactory.init). */
export function startBackend(name: string, opts: BackendOptions = {}): StartedBackend {
  const factory = registry.get(name);
  if (factory) return factory.init(opts);
  const unknown = () => new XnorError(`unknown backend "${name}" (known: ${backendNames().join(', ')})`);
  return { create: () => Promise.reject(unknown()), discard() {} };
}

export function createBackend(name: string, model: XnnModel, opts: BackendOptions = {}): Promise<Backend> {
  return startBackend(name, opts).create(model);
}
