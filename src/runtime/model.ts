// The public Model: loads a .xnn file, checks inputs, runs a backend, classifies images.
// Browser-safe: no Node module is imported at top level; Node's fs is imported on demand
// only when a path (or file: URL) is given in Node.

import { notePopcount, resolveThreads } from '../capabilities.js';
import { DisposedError, InputError, ModelFormatError, XnorError } from '../errors.js';
import { BlobCrc } from '../format/crc32.js';
import { readXnn } from '../format/read.js';
import type { XnnModel } from '../format/xnn.js';
import { type Fit, fitSpec, preprocessImage } from '../image/preprocess.js';
import type { ModelInfo, Prediction, RawImage, Tensor } from '../types.js';
import { type Backend, type BackendName, startBackend } from './backend.js';
import { type FetchModelOptions, type LoadProgress, fetchModel, htmlError, looksLikeHtml, verifyIntegrity } from './fetch-model.js';
import type { WasmBackendOptions } from './wasm-backend.js';

export interface LoadOptions {
  /** 'wasm' (default) or 'reference' (the slow float interpreter). */
  backend?: BackendName;
  /** Options passed to the WASM backend. */
  wasm?: WasmBackendOptions;
  /** Aborts loading; the promise rejects with `signal.reason` (an `AbortError` by default). */
  signal?: AbortSignal;
  /** Download progress `{ loaded, total }` (total from Content-Length; undefined when unknown). */
  onProgress?: (p: LoadProgress) => void;
  /**
   * Expected digest of the .xnn bytes, `'sha256-<base64>'` (SRI syntax) or 64 hex digits;
   * checked for every source (URL, path, bytes). A mismatch rejects with IntegrityError.
   */
  integrity?: string;
  /**
   * Keep the downloaded model in the Cache API (`true` → cache `xnor-web-models`, or a cache
   * name); keyed by `integrity` when given, else by URL. URLs only; ignored without a Cache API.
   * Only verified model bytes are stored (never an error, never HTML). See clearCache().
   */
  cache?: FetchModelOptions['cache'];
  /**
   * Threads for the heavy convs (WASM backend; default 1): a count, or true for one per core
   * (at most 4). Needs SharedArrayBuffer: in a browser the page must be cross-origin isolated,
   * else this logs one warning and runs on one thread. `model.threads` says what is used.
   * Outputs are bit-identical whatever the count.
   */
  threads?: number | boolean;
}

export interface ClassifyOptions {
  /** How many predictions to return, best first (default 5, at most the class count). */
  top?: number;
  /**
   * 'auto' (default, as in the worker, the CLI and the widget): a model that declares no resize
   * still takes any image size (short side scaled to the input, centre crop). 'strict': only
   * the model's own preprocessing; another size is an InputError.
   */
  fit?: Fit;
}

const NODE_FS = 'node:fs/promises';
const isNode = () => typeof process !== 'undefined' && !!process.versions?.node;
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

  constructor(graph: XnnModel, backend: Backend, backendName: string) {
    this.#graph = graph;
    this.#backend = backend;
    this.backendName = backendName;
    this.threads = (backend as { threads?: number }).threads ?? 1;
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
   * Runs the model on one input of the declared shape (NHWC, e.g. [1, 224, 224, 3]).
   * A Tensor's shape must equal the declared shape; a bare Float32Array must have its length.
   * NaN or ±Infinity anywhere is rejected with InputError naming the first bad index
   * (sign() would silently map NaN to −1). Returns a fresh copy of the output.
   */
  run(input: Tensor | Float32Array): Tensor {
    const backend = this.#live();
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
    // Duck-typed: WasmBackend exposes its kernels; the reference backend has none.
    const k = (this.#live() as { kernels?: { memory: WebAssembly.Memory } }).kernels;
    return k ? k.memory.buffer.byteLength : 0;
  }

  /** Preprocesses per the model's metadata, runs, and returns the top-K classes. */
  classify(image: RawImage, opts: ClassifyOptions = {}): Prediction[] {
    this.#live();
    const top = opts.top ?? 5;
    if (!Number.isInteger(top) || top < 1) throw new InputError(`top must be a positive integer, got ${top}`);
    const x = preprocessImage(image, fitSpec(this.info, image, opts.fit));
    const y = this.run(x).data;
    const probs = this.info.output.kind === 'logits' ? softmax(y) : y;
    return topK(probs, top, this.info.labels);
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

/**
 * Loads a .xnn model from bytes, a URL, or (in Node) a file path.
 * Errors (by `name`): ModelFetchError (network / HTTP status, with `url` and `status`),
 * ModelHtmlError (an HTML page instead of the model; also a ModelFormatError), IntegrityError,
 * ModelFormatError, WasmLoadError; an abort rejects with `signal.reason`.
 */
export async function loadModel(source: Uint8Array | ArrayBuffer | string | URL, opts: LoadOptions = {}): Promise<Model> {
  const { signal } = opts;
  signal?.throwIfAborted();
  const threads = resolveThreads(opts.threads);
  const backendName = opts.backend ?? 'wasm';
  // The backend's model-independent start (WASM compile, workers, popcount warm-up) runs
  // while the model downloads; its errors still come after the download's and the file's.
  const started = startBackend(backendName, { wasm: threads > 1 ? { ...opts.wasm, threads } : opts.wasm, signal });
  // A download is checksummed as it arrives (readXnn checks the CRC against the header).
  const blobCrc = new BlobCrc();
  let graph: XnnModel;
  try {
    const { bytes, name, verified } = await fetchSource(source, signal, { ...opts, onChunk: (c) => blobCrc.feed(c) });
    signal?.throwIfAborted();
    if (opts.integrity != null && !verified) await verifyIntegrity(bytes, opts.integrity, name);
    try {
      graph = readXnn(bytes, { blobCrc });
    } catch (e) {
      if (e instanceof ModelFormatError && name) throw new ModelFormatError(`${name}: ${e.message}`);
      throw e;
    }
  } catch (e) {
    started.discard();
    throw e;
  }
  const backend = await started.create(graph);
  if (signal?.aborted) {
    backend.dispose();
    signal.throwIfAborted();
  }
  notePopcount((backend as { popcount?: 'scalar' | 'simd' }).popcount);
  return new Model(graph, backend, backendName);
}

/** Raw model bytes from any accepted source; `name` is quoted in errors. */
export async function fetchSource(
  source: Uint8Array | ArrayBuffer | string | URL,
  signal?: AbortSignal,
  opts: Pick<LoadOptions, 'onProgress' | 'cache' | 'integrity'> & Pick<FetchModelOptions, 'onChunk'> = {},
): Promise<{ bytes: Uint8Array; name: string; verified?: boolean }> {
  const progressOnce = (r: { bytes: Uint8Array; name: string }) => {
    opts.onProgress?.({ loaded: r.bytes.byteLength, total: r.bytes.byteLength });
    return r;
  };
  if (source instanceof Uint8Array) return progressOnce(checked(source, ''));
  if (source instanceof ArrayBuffer) return progressOnce(checked(new Uint8Array(source), ''));
  // Fetched URLs are checked against `integrity` by fetchModel (before anything is cached).
  const net = async (url: string) => ({
    ...(await fetchModel(url, { signal, onProgress: opts.onProgress, onChunk: opts.onChunk, cache: opts.cache, integrity: opts.integrity })),
    verified: true,
  });
  if (source instanceof URL)
    return source.protocol === 'file:' && isNode() ? progressOnce(await readPath(source, signal)) : net(source.href);
  if (typeof source !== 'string') throw new InputError('model source must be bytes, a URL or a path');
  if (/^file:/i.test(source) && isNode()) return progressOnce(await readPath(new URL(source), signal));
  if (/^(https?|data|blob):/i.test(source) || !isNode()) return net(source);
  return progressOnce(await readPath(source, signal));
}

async function readPath(path: string | URL, signal?: AbortSignal) {
  // Not a literal, and marked: bundlers for the browser must not try to resolve it (Node only).
  const fs: typeof import('node:fs/promises') = await import(/* webpackIgnore: true */ /* @vite-ignore */ NODE_FS);
  const name = typeof path === 'string' ? path : path.href;
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path, { signal });
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new XnorError(`cannot read model ${name}: ${why}`);
  }
  return checked(bytes, name);
}

/** Rejects an HTML page (a 404 page, an index.html fallback) before the parser sees it. */
function checked(bytes: Uint8Array, name: string) {
  if (looksLikeHtml(bytes)) throw htmlError(name || '<bytes>');
  return { bytes, name };
}
