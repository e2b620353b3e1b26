// The worker wire protocol: what client.ts sends to a model worker (worker.ts → api.ts) and what comes
// back; all structured-cloneable, pixel buffers and ImageBitmaps transferred (moved, not copied).

import type { Fit } from '../image/preprocess.js';
import type { WasmSource } from '../wasm/load.js';
import type { ModelInfo, Prediction, Tensor } from '../types.js';

/** One image as it crosses the boundary. Preprocessing happens on the worker side. */
export type Frame =
  /** Decoded pixels (an ImageBitmap is transferred; the worker closes it). */
  | { kind: 'bitmap'; bitmap: ImageBitmap }
  /** Encoded image bytes (PNG, JPEG, …): decoded in the worker with createImageBitmap. */
  | { kind: 'blob'; blob: Blob }
  /** Raw interleaved pixels (RGBA from ImageData, or any RawImage); `data.buffer` is transferred. */
  | { kind: 'pixels'; width: number; height: number; channels: 1 | 2 | 3 | 4; data: Uint8Array | Uint8ClampedArray };

export interface LoadRequest {
  /** The .xnn file's bytes. */
  model: ArrayBuffer | Uint8Array;
  /** Where the bytes came from (quoted in errors). */
  name?: string;
  /** The WASM kernels: a compiled module or URL to use instead of the asset next to the code. */
  wasm?: Exclude<WasmSource, URL>;
  /** Run the model once on zeros after loading (default true). */
  warmup?: boolean;
  /** Passed to loadModel (see LoadOptions.threads). */
  threads?: number | boolean;
  /** Passed to the WASM backend (default: the relaxed build where the engine has it; false: the plain one). */
  relaxedSimd?: boolean;
  /** Passed to the WASM backend (true: the fma build where the engine has relaxed SIMD). */
  fma?: boolean;
  /** 'wasm' (default) or 'reference'. */
  backend?: 'wasm' | 'reference';
}

/** What loading a model reported (Session.loaded). */
export interface LoadResult {
  /** The model's metadata. */
  info: ModelInfo;
  /** The declared input shape. */
  inputShape: number[];
  /** The output shape. */
  outputShape: number[];
  /** Backend that runs the model ('wasm'). */
  backend: string;
  /** Whether WebAssembly SIMD is on (always true when load succeeded with the wasm backend). */
  simd: boolean;
  /** Whether the worker is cross-origin isolated (SharedArrayBuffer, so WASM threads possible). */
  crossOriginIsolated: boolean;
  /** Threads the model runs on in this worker (1 unless `threads` was asked for and could start). */
  threads: number;
  /** Milliseconds from bytes to a warmed-up model (parse, validate, plan, prepare weights, one run). */
  loadMs: number;
}

export interface ClassifyRequest {
  frame: Frame;
  /** How many classes to return, best first (default 5). */
  top?: number;
  /** See ClassifyOptions.fit (default 'auto'). */
  fit?: Fit;
}

/** One classify answer, with where the time went. */
export interface ClassifyResult {
  /** The best classes, best first. */
  top: Prediction[];
  /** Preprocessing + inference, in ms, measured in the worker. */
  ms: number;
  /** Decode/draw + resize/crop/normalise, in ms. */
  preprocessMs: number;
  /** The network alone, in ms. */
  inferMs: number;
  /** Width of the image as received. */
  width: number;
  /** Height of the image as received. */
  height: number;
}

/** A worker's memory, for soak tests and monitoring. */
export interface WorkerStats {
  /** Bytes of the loaded model's WebAssembly memory (0 with no model). Fixed after load. */
  wasmMemoryBytes: number;
  /** classify() calls this worker answered since it started. */
  classified: number;
}

/** What a model worker exposes (src/worker/api.ts implements it; it also runs on the main thread). */
export interface WorkerApi {
  load(req: LoadRequest): Promise<LoadResult>;
  classify(req: ClassifyRequest): Promise<ClassifyResult>;
  /** Model.run on one input (its buffer is transferred); the output as a fresh Tensor. */
  run(input: Tensor | Float32Array): Promise<Tensor>;
  stats(): WorkerStats;
  dispose(): void;
}
