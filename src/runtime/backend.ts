// Execution backends: one factory per name, registered in one list below.
//
// A Backend owns whatever a model needs to run (prepared weights, WASM memory) and runs one
// input at a time. `run` may return a view into backend-owned memory that is valid only until
// the next `run` or `dispose`; Model copies it before handing it out.

import { WasmLoadError, XnorError } from '../errors.js';
import type { XnnModel } from '../format/xnn.js';
import type { WasmBackendOptions } from './wasm-backend.js';

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

/** The WASM kernels (./wasm-backend.ts), loaded on first use. */
const wasm: BackendFactory = async (model, opts) => {
  let mod: typeof import('./wasm-backend.js');
  try {
    mod = await import('./wasm-backend.js');
  } catch (e) {
    throw new WasmLoadError(`the WASM backend could not be loaded (${(e as Error).message})`);
  }
  return mod.createWasmBackend(model, opts.wasm ?? {});
};

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

export async function createBackend(name: string, model: XnnModel, opts: BackendOptions = {}): Promise<Backend> {
  const factory = registry.get(name);
  if (!factory) throw new XnorError(`unknown backend "${name}" (known: ${backendNames().join(', ')})`);
  return factory(model, opts);
}
