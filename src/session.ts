// loadModel, the one entry point: a Session with one options shape, on this thread (workers: 0:
// runtime/local-session.ts, over the synchronous Model) or in Web Workers (worker/client.ts).

import { InputError } from './errors.js';
import type { Fit } from './image/preprocess.js';
import { type LoadProgress, type ModelSource, readModelBytes } from './runtime/fetch-model.js';
import type { ModelInfo, Tensor } from './types.js';
import { startWorkers } from './worker/client.js';
import type { ImageInput } from './worker/frames.js';
import type { ClassifyResult, LoadResult, WorkerStats } from './worker/protocol.js';

/** Where the WebAssembly kernels come from and which build runs. */
export interface WasmOptions {
  /** xnor.wasm (a URL, its bytes or a compiled module) instead of the asset next to the library. */
  url?: string | URL | ArrayBuffer | Uint8Array | WebAssembly.Module;
  /** xnor.mt.wasm for `threads` > 1 instead of the asset next to the library (this thread only). */
  threadedUrl?: string | URL | ArrayBuffer | Uint8Array | WebAssembly.Module;
  /**
   * Default: the relaxed-SIMD build where the engine has relaxed SIMD (faster binary convs,
   * the same bits as the plain build); false: the plain build.
   */
  relaxedSimd?: boolean;
  /**
   * true: the fma build where the engine has relaxed SIMD: faster float layers, rounded
   * differently from engines without it (and possibly per CPU). Default false: the same bits everywhere.
   */
  fma?: boolean;
  /** The debug build, asserts on (this thread only). */
  debug?: boolean;
  /** Forces a popcount strategy instead of the once-per-process race ('auto'; this thread only). */
  popcount?: 'scalar' | 'simd' | 'hybrid' | 'auto';
}

/** Options of loadModel; every field is optional. */
export interface LoadOptions {
  /** 'wasm' (default) or 'reference' (the slow float interpreter: the spec the kernels are tested on). */
  backend?: 'wasm' | 'reference';
  /** Aborts loading; the promise rejects with `signal.reason` (an `AbortError` by default). */
  signal?: AbortSignal;
  /** Download progress `{ loaded, total }` (total from Content-Length; undefined when unknown). */
  onProgress?: (p: LoadProgress) => void;
  /**
   * Expected digest of the .xnn bytes, `'sha256-<base64>'` (SRI syntax) or 64 hex digits;
   * checked for every source (URL, path, bytes, Blob, Response). A mismatch rejects with IntegrityError.
   */
  integrity?: string;
  /**
   * Keep the downloaded model in the Cache API (`true` → cache `xnor-web-models`, or a cache
   * name); keyed by `integrity` when given, else by URL. URLs only; ignored without a Cache API.
   * Only verified model bytes are stored (never an error, never HTML). See clearCache().
   */
  cache?: boolean | string;
  /**
   * Threads for the heavy convs (WASM backend; default 1): a count, or true for one per core
   * (at most 4). Needs SharedArrayBuffer: in a browser the page must be cross-origin isolated,
   * else this logs one warning and runs on one thread. `threads` on the session says what is
   * used. Outputs are bit-identical whatever the count.
   */
  threads?: number | boolean;
  /**
   * Web Workers to run the model in, each with its own copy (default 0: on this thread). The
   * bytes are fetched once, here; `threads` then applies to each worker.
   */
  workers?: number;
  /** The kernels: a URL of xnor.wasm, or WasmOptions. */
  wasm?: string | URL | WasmOptions;
  /** Default classes returned by classify (5). */
  top?: number;
  /** Default resize behaviour of classify ('auto'; see ClassifyOptions.fit). */
  fit?: Fit;
  /** Makes a worker running src/worker/worker.ts (bundlers with their own worker syntax, inlined workers). */
  createWorker?: (index: number) => Worker;
  /** Restarts allowed in a row for one worker without a successful call between (default 3). */
  maxRestarts?: number;
}

/** Options of one classify call. */
export interface ClassifyOptions {
  /** How many predictions to return, best first (default: the session's `top`, 5). */
  top?: number;
  /**
   * 'auto' (the default everywhere: library, CLI, demo, widget): a model that declares no resize
   * still takes any image size (short side scaled to the input, centre crop). 'strict': only the
   * model's own preprocessing; another size is an InputError.
   */
  fit?: Fit;
  /** In workers: move ImageData / RawImage pixels instead of copying them (default true: the caller's buffer is emptied). */
  transfer?: boolean;
}

/** What Session.stats() counts. */
export interface SessionStats {
  /** Results delivered (classify and classifyFrame). */
  classified: number;
  /** Frames replaced by a newer one before a worker took them (latest-frame-wins). */
  dropped: number;
  /** Workers restarted after dying. */
  restarts: number;
}

/** A loaded model. The same interface on this thread and in workers. */
export interface Session {
  /** The model's metadata: name, input, preprocessing, labels, output kind. */
  readonly info: ModelInfo;
  /** The declared input shape (NHWC, e.g. [1, 224, 224, 3]). */
  readonly inputShape: readonly number[];
  /** The output shape (e.g. [1, 1000]). */
  readonly outputShape: readonly number[];
  /** Backend that runs the model ('wasm' or 'reference'). */
  readonly backend: string;
  /** Threads the model runs on (per worker): 1 unless `threads` was asked for and could start. */
  readonly threads: number;
  /** Workers the model runs in (0: this thread). */
  readonly workers: number;
  /** Size of the .xnn file in bytes. */
  readonly modelBytes: number;
  /** What loading reported (the first worker's, in workers). */
  readonly loaded: LoadResult;
  /**
   * Runs the model on one input of the declared shape (a model converted from ONNX also takes
   * its source layout, e.g. NCHW); a bare Float32Array must have its length; NaN or ±Infinity
   * is an InputError. Returns a fresh output. The same checks on this thread and in workers.
   */
  run(input: Tensor | Float32Array): Promise<Tensor>;
  /**
   * Classifies one image: ImageData, ImageBitmap (closed: it is consumed), an img / canvas /
   * video element, OffscreenCanvas, VideoFrame, an encoded Blob, or a RawImage. In workers,
   * ImageData / RawImage pixels move to the worker unless `transfer: false`.
   */
  classify(input: ImageInput, opts?: ClassifyOptions): Promise<ClassifyResult>;
  /**
   * For live video, latest frame wins: resolves to null when this frame was dropped for a
   * newer one (in workers; on this thread every frame is classified).
   */
  classifyFrame(input: ImageInput, opts?: ClassifyOptions): Promise<ClassifyResult | null>;
  /** Counts since loading: results, dropped frames, worker restarts. */
  stats(): SessionStats;
  /** One entry per live worker (one for this thread): WASM memory, calls answered. */
  workerStats(): Promise<WorkerStats[]>;
  /** Terminates worker `index` as a crash would (its calls reject; it is restarted). Workers only. */
  terminateWorker(index?: number): void;
  /** Frees the model (terminates the workers); pending calls reject with DisposedError. Idempotent. */
  dispose(): void;
}

export const wasmOptionsOf = (w: LoadOptions['wasm']): WasmOptions => (typeof w === 'string' || w instanceof URL ? { url: w } : (w ?? {}));

type LocalSession = (source: ModelSource, opts: LoadOptions, t0: number) => Promise<Session>;

// How a session on this thread is made. Set by ./runtime/local-session.ts (which src/index.ts
// imports), kept apart so that a bundle that only uses workers (the widget) carries no runtime
// on its page.
let localSession: LocalSession | null = null;

export function setLocalSession(make: LocalSession): void {
  localSession = make;
}

/**
 * Loads a .xnn model from a URL, bytes, a Blob, a Response, or (in Node) a file path, and
 * returns a Session on this thread or, with `workers`, in Web Workers.
 * Errors (by `name`): ModelFetchError (network / HTTP status, with `url` and `status`),
 * ModelHtmlError (an HTML page instead of the model; also a ModelFormatError), IntegrityError,
 * ModelFormatError, WasmLoadError, InputError (bad options); an abort rejects with `signal.reason`.
 */
export async function loadModel(source: ModelSource, opts: LoadOptions = {}): Promise<Session> {
  const t0 = performance.now();
  const workers = opts.workers ?? 0;
  if (!Number.isInteger(workers) || workers < 0 || workers > 64) throw new InputError(`workers must be an integer in 0..64, got ${workers}`);
  if (workers > 0) {
    const w = wasmOptionsOf(opts.wasm);
    const { signal, onProgress, integrity, cache, threads, backend } = opts;
    const { bytes, name } = await readModelBytes(source, { signal, onProgress, integrity, cache });
    // Each worker gets a copy of one whole ArrayBuffer; a body read in one chunk may be a view.
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    const wasm = w.url instanceof URL ? w.url.href : w.url;
    return startWorkers(whole.buffer as ArrayBuffer, name, {
      workers,
      top: opts.top ?? 5,
      fit: opts.fit ?? 'auto',
      load: { wasm, threads, relaxedSimd: w.relaxedSimd, fma: w.fma, backend },
      createWorker: opts.createWorker,
      maxRestarts: opts.maxRestarts,
    });
  }
  if (!localSession) throw new InputError('this bundle runs models in workers only: pass workers ≥ 1, or import loadModel from xnor-web');
  return localSession(source, opts, t0);
}

/** @deprecated The options of createClassifier; use LoadOptions. */
export interface ClassifierOptions extends Omit<LoadOptions, 'wasm'> {
  /** The .xnn model. */
  model: ModelSource;
  /** URL of xnor.wasm. */
  wasm?: string;
  /** As `wasm: { relaxedSimd }`. */
  relaxedSimd?: boolean;
}

/** @deprecated Use `loadModel(model, { workers: 1, … })`; this is that call. */
export function createClassifier(opts: ClassifierOptions): Promise<Session> {
  const { model, wasm, relaxedSimd, ...rest } = opts;
  return loadModel(model, { ...rest, workers: opts.workers ?? 1, wasm: { url: wasm, relaxedSimd } });
}
