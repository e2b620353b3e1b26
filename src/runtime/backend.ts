// Execution backends: one factory per name, registered in one list below.
//
// A Backend owns whatever a model needs to run (prepared weights, WASM memory) and runs one
// input at a time. `run` may return a view into backend-owned memory that is valid only until
// the next `run` or `dispose`; Model copies it before handing it out.

import { XnorError } from '../errors.js';
import type { XnnModel } from '../format/xnn.js';
import { type WasmBackendOptions, planWasmBackend, startWasmKernels } from './wasm-backend.js';

export interface Backend {
  /** Runs the model on one input laid out as the model's declared input shape. */
  run(input: Float32Array): Float32Array;
  /** Threads it runs on (absent: 1). */
  readonly threads?: number;
  dispose(): void;
}

export type BackendName = 'wasm' | 'reference';

export interface BackendOptions {
  /** Options for the WASM backend (where xnor.wasm comes from, debug build, popcount …). */
  wasm?: WasmBackendOptions;
  signal?: AbortSignal;
}

export type BackendFactory = (model: XnnModel, opts: BackendOptions) => Promise<Backend>;

/** The float reference interpreter: slow, obviously right; the spec every kernel is tested on. */
const reference: BackendFactory = async (model) => {
  const { runReference } = await import('../reference/interpreter.js');
  return {
    run: (input) => runReference(model, input).output.data,
    dispose() {},
  };
};

/**
 * The WASM kernels (./wasm-backend.ts) in two stages: the kernels (WASM compile, workers,
 * popcount warm-up) start before the model is known, and `create` plans the model on them.
 * Imported up front, not on first use: a lazy chunk would cost a request round trip before
 * the WASM fetch could even start, and every load with the default backend needs it.
 */
function startWasm(opts: BackendOptions): StartedBackend {
  const ready = startWasmKernels(opts.wasm ?? {});
  // A failure is reported by create(), or not at all when the load failed before it.
  ready.catch(() => undefined);
  return {
    create: async (model) => planWasmBackend(model, await ready, opts.wasm ?? {}),
    discard: () => void ready.then((kernels) => kernels.pool?.dispose(), () => undefined),
  };
}

const wasm: BackendFactory = (model, opts) => startWasm(opts).create(model);

const registry = new Map<string, BackendFactory>([
  ['wasm', wasm],
  ['reference', reference],
]);

/** Adds or replaces a backend (for tests and experiments). */
export function registerBackend(name: string, factory: BackendFactory): void {
  registry.set(name, factory);
}

export function backendNames(): string[] {
  return [...registry.keys()];
}

/** A backend started before its model is known (see startBackend). */
export interface StartedBackend {
  /** Finishes the backend for `model`. Call it at most once, or call discard(). */
  create(model: XnnModel): Promise<Backend>;
  /** Frees what was started (workers) when create() will not be called. */
  discard(): void;
}

/**
 * Starts the model-independent part of backend `name` now, so that it overlaps the model's
 * download: for 'wasm', the WASM compile, the workers and the popcount warm-up. Other
 * backends start in create(). Errors (an unknown name too) come from create().
 */
export function startBackend(name: string, opts: BackendOptions = {}): StartedBackend {
  if (registry.get(name) === wasm) return startWasm(opts);
  return { create: (model) => createBackend(name, model, opts), discard() {} };
}

export async function createBackend(name: string, model: XnnModel, opts: BackendOptions = {}): Promise<Backend> {
  const factory = registry.get(name);
  if (!factory) throw new XnorError(`unknown backend "${name}" (known: ${backendNames().join(', ')})`);
  return factory(model, opts);
}
