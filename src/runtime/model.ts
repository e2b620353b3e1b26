// Model: the synchronous in-thread layer under the public Session (./session.ts): loads a .xnn
// file, checks inputs, runs a backend, classifies RawImages. Browser-safe.

import { notePopcount, resolveThreads } from '../capabilities.js';
import { DisposedError, InputError, ModelFormatError } from '../errors.js';
import { toModelLayout } from './layout.js';
import { BlobCrc } from '../format/crc32.js';
import { HeaderAhead } from '../format/header-ahead.js';
import { readXnn } from '../format/read.js';
import type { XnnModel } from '../format/xnn.js';
import { type Fit, fitSpec, preprocessImage } from '../image/preprocess.js';
import type { ModelInfo, Prediction, RawImage, Tensor } from '../types.js';
import { type Backend, startBackend } from './backend.js';
import { type ModelSource, readModelBytes } from './fetch-model.js';
import type { ClassifyOptions as PublicClassifyOptions, LoadOptions } from '../session.js';
import type { WasmBackendOptions } from './wasm-backend.js';

/** Options of openModel: the public LoadOptions that apply here, with the backend's own `wasm`. */
export type ModelOptions = Pick<LoadOptions, 'backend' | 'signal' | 'onProgress' | 'integrity' | 'cache' | 'threads'> & {
  /** Options passed to the WASM backend. */
  wasm?: WasmBackendOptions;
};

export type ClassifyOptions = Pick<PublicClassifyOptions, 'top' | 'fit'>;

const product = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export class Model {
  readonly info: ModelInfo;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly backendName: string;
  /** Threads the model runs on (1 unless `threads` was asked for and could start). */
  readonly threads: number;
  #backend: Backend | null;
  #graph: XnnModel;

  /** Size of the .xnn file in bytes. */
  readonly modelBytes: number;

  constructor(graph: XnnModel, backend: Backend, backendName: string, modelBytes = 0) {
    this.#graph = graph;
    this.modelBytes = modelBytes;
    this.#backend = backend;
    this.backendName = backendName;
    this.threads = backend.threads ?? 1;
    this.info = graph.metadata;
    this.inputShape = [...graph.inputs[0].shape];
    const out = graph.types.get(graph.outputs[0]);
    if (!out) throw new ModelFormatError(`output "${graph.outputs[0]}" has no inferred type`);
    this.outputShape = [...out.shape];
  }

  /** The validated graph (for tools such as `inspect`). */
  get graph(): XnnModel {
    this.#live();
    return this.#graph;
  }

  #live(): Backend {
    if (!this.#backend) throw new DisposedError('this model was disposed');
    return this.#backend;
  }

  /**
   * Runs the model on one input of the declared shape (NHWC, e.g. [1, 224, 224, 3]); a model
   * converted from ONNX also takes its source layout (NCHW [1, 3, 224, 224]: layout.ts).
   * A Tensor's shape must equal the declared shape; a bare Float32Array must have its length.
   * NaN or ±Infinity anywhere is rejected with InputError naming the first bad index
   * (sign() would silently map NaN to −1). Returns a fresh copy of the output.
   */
  run(input: Tensor | Float32Array): Tensor {
    const backend = this.#live();
    input = toModelLayout(input, this.info.input); // an ONNX model's NCHW tensor; integer inputs checked
    const want = this.inputShape;
    let data: Float32Array;
    if (input instanceof Float32Array) {
      data = input;
      if (data.length !== product(want))
        throw new InputError(`input has ${data.length} values, the model takes [${want.join(',')}] = ${product(want)}`);
    } else {
      if (!input || !(input.data instanceof Float32Array) || !Array.isArray(input.shape))
        throw new InputError('input must be a Float32Array or a Tensor { shape, data: Float32Array }');
      if (input.shape.length !== want.length || input.shape.some((d, i) => d !== want[i]))
        throw new InputError(`input shape [${input.shape.join(',')}] differs from the model's [${want.join(',')}]`);
      data = input.data;
      if (data.length !== product(want))
        throw new InputError(`input data has ${data.length} values for shape [${want.join(',')}]`);
    }
    for (let i = 0; i < data.length; i++)
      if (!Number.isFinite(data[i])) throw new InputError(`input[${i}] is ${data[i]}: inputs must be finite`);
    const out = backend.run(data);
    return { shape: [...this.outputShape], data: Float32Array.from(out) };
  }

  /**
   * Bytes of WebAssembly memory the model holds (0 for a backend without one). It is planned
   * at load and does not change while the model runs.
   */
  get memoryBytes(): number {
    return this.#live().memoryBytes ?? 0;
  }

  /** Preprocesses per the model's metadata, runs, and returns the top-K classes. */
  classify(image: RawImage, opts: ClassifyOptions = {}): Prediction[] {
    return this.classifyTimed(image, opts).top;
  }

  /**
   * classify, timing preprocessing and the network apart: the one path from an image to
   * classes (the CLI, sessions on this thread and in workers all come here).
   */
  classifyTimed(image: RawImage, opts: ClassifyOptions = {}): { top: Prediction[]; preprocessMs: number; inferMs: number } {
    this.#live();
    const top = opts.top ?? 5;
    if (!Number.isInteger(top) || top < 1) throw new InputError(`top must be a positive integer, got ${top}`);
    const { colorOrder, shape } = this.info.input;
    if (colorOrder === 'NONE')
      throw new InputError(
        `this model's input [${shape.join(',')}] is not an image (colour order NONE): classify() needs an RGB or GRAY model; pass a tensor to run() instead`,
      );
    const t0 = performance.now();
    const x = preprocessImage(image, fitSpec(this.info, image, opts.fit));
    const t1 = performance.now();
    const y = this.run(x).data;
    const t2 = performance.now();
    const probs = this.info.output.kind === 'logits' ? softmax(y) : y;
    return { top: topK(probs, top, this.info.labels), preprocessMs: t1 - t0, inferMs: t2 - t1 };
  }

  /** Frees the backend. Idempotent; any later use throws DisposedError. */
  dispose(): void {
    const b = this.#backend;
    this.#backend = null;
    b?.dispose();
  }
}

// `using model = await loadModel(…)` where the runtime has Symbol.dispose (Node ≥ 20.4).
const symDispose = (Symbol as unknown as { dispose?: symbol }).dispose;
if (symDispose)
  Object.defineProperty(Model.prototype, symDispose, {
    value(this: Model) {
      this.dispose();
    },
  });

/** Softmax in float64, max-subtracted. */
export function softmax(x: Float32Array): Float32Array {
  let m = -Infinity;
  for (const v of x) if (v > m) m = v;
  const out = new Float32Array(x.length);
  let s = 0;
  const e = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) s += e[i] = Math.exp(x[i] - m);
  for (let i = 0; i < x.length; i++) out[i] = e[i] / s;
  return out;
}

/** Top-K indices by value, descending; ties go to the lower index. */
export function topK(p: ArrayLike<number>, k: number, labels: readonly string[] = []): Prediction[] {
  const idx = Array.from({ length: p.length }, (_, i) => i);
  idx.sort((a, b) => p[b] - p[a] || a - b);
  return idx.slice(0, Math.min(k, p.length)).map((i) => ({ index: i, label: labels[i] ?? `class ${i}`, prob: p[i] }));
}

type PostTask = (task: () => void, opts: { priority: 'background' }) => Promise<unknown>;

/** Runs `task` when the thread has nothing more urgent (Prioritized Task Scheduling where there is one). */
function inBackground(task: () => void): void {
  const scheduler = (globalThis as { scheduler?: { postTask?: PostTask } }).scheduler;
  if (scheduler?.postTask) scheduler.postTask(task, { priority: 'background' }).catch(() => undefined);
  else setTimeout(task, 0);
}

/**
 * Loads a .xnn model on this thread as a synchronous Model (the layer under the public
 * loadModel's Session; CLI and Node tools use it directly). Sources and errors as loadModel's.
 */
export async function openModel(source: ModelSource, opts: ModelOptions = {}): Promise<Model> {
  const { signal } = opts;
  signal?.throwIfAborted();
  const threads = resolveThreads(opts.threads);
  const backendName = opts.backend ?? 'wasm';
  // The backend's model-independent start (WASM compile, workers, popcount warm-up) runs
  // while the model downloads; its errors still come after the download's and the file's.
  const started = startBackend(backendName, { wasm: threads > 1 ? { ...opts.wasm, threads } : opts.wasm, signal });
  // A download is checksummed as it arrives (readXnn checks the CRC against the header). With
  // `wasm.planAhead` and its length known, its header and graph are checked as soon as they are
  // in, and once the kernels are up, layers are planned as their weights arrive: in
  // background tasks, so that reading the body comes first; what is left runs after the last byte.
  const blobCrc = new BlobCrc();
  let ahead: HeaderAhead | undefined;
  const pieces: Uint8Array[] = [];
  let posted = false;
  const catchUp = () => {
    posted = false;
    if (!ahead) return;
    for (const c of pieces.splice(0)) ahead.feed(c);
    const partial = ahead.partialModel();
    if (partial) started.planAhead?.(partial);
  };
  const onChunk = (c: Uint8Array) => {
    blobCrc.feed(c);
    if (!ahead) return;
    pieces.push(c);
    if (posted) return;
    posted = true;
    inBackground(catchUp);
  };
  const onProgress = (p: { loaded: number; total?: number }) => {
    if (p.loaded === 0 && p.total && opts.wasm?.planAhead) ahead = new HeaderAhead(p.total);
    opts.onProgress?.(p);
  };
  let graph: XnnModel;
  let size = 0;
  try {
    const { bytes, name } = await readModelBytes(source, { ...opts, onChunk, onProgress });
    catchUp();
    const checked = ahead;
    ahead = undefined; // a background task still posted finds nothing left to do
    signal?.throwIfAborted();
    size = bytes.byteLength;
    try {
      graph = readXnn(bytes, { blobCrc, ahead: checked });
    } catch (e) {
      if (e instanceof ModelFormatError && name) throw new ModelFormatError(`${name}: ${e.message}`);
      throw e;
    }
  } catch (e) {
    ahead = undefined;
    started.discard();
    throw e;
  }
  const backend = await started.create(graph);
  if (signal?.aborted) {
    backend.dispose();
    signal.throwIfAborted();
  }
  notePopcount(backend.popcount);
  return new Model(graph, backend, backendName, size);
}
