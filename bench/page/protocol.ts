// What the Node side (bench/browser.ts) asks the bench page for, and what comes back.
import type { StemRow } from '../stems.js';

export type { StemRow };

export type Engine = 'xnor-web' | 'onnxruntime-web' | 'tfjs-wasm';
export type ModelName = 'resnet18' | 'alexnet';

export interface RunConfig {
  engine: Engine;
  model: ModelName;
  /** Threads asked for; each result says how many the engine actually used. */
  threads: number;
  warmup: number;
  runs: number;
  /** The model file (.xnn for xnor-web, .onnx for onnxruntime-web); tfjs-wasm builds its net in code. */
  url?: string;
  /** xnor-web: false runs its plain build where the relaxed one (the same bits) would be picked. */
  relaxedSimd?: boolean;
  /** xnor-web: true runs its fma build (FMA float layers) where the engine has relaxed SIMD. */
  fma?: boolean;
}

export interface RunResult {
  /** Milliseconds of each timed run, in order. */
  times_ms: number[];
  /** Threads the engine reports it ran with (1 when it fell back, or cannot run threads). */
  threads_used: number;
  /** Where threads_used came from, e.g. `ort.env.wasm.numThreads after session creation`. */
  threads_source: string;
  /** Load (download, compile, build) before the first run, ms. */
  load_ms: number;
  /** The first (warm-up) run, ms: what a user waits for on their first image. */
  first_run_ms: number;
  cross_origin_isolated: boolean;
  /** Engine-specific facts: versions, wasm flavour, popcount strategy. */
  detail: Record<string, string | number | boolean>;
}

/** One cold load of xnor-web ResNet-18 in a fresh browser context: `loadModel(url)` from the call to the Model. */
export interface ColdStartResult {
  load_ms: number;
  /** Resource Timing (startTime → responseEnd) of the .xnn and of xnor.wasm; 0 when not reported. */
  model_fetch_ms: number;
  wasm_fetch_ms: number;
  /** load_ms minus the model fetch: parse, compile, instantiate and plan (the wasm fetch overlaps nothing). */
  after_fetch_ms: number;
  first_run_ms: number;
  /** A second loadModel(url) in the same worker (xnor.wasm compiled, popcount chosen): what is not one-off. */
  warm_load_ms: number;
  threads_used: number;
}

/** What `open` reports: the engine is loaded and has run once. */
export interface Opened {
  load_ms: number;
  first_run_ms: number;
}

/** What `close` reports: RunResult without the timings, which `time` returned. */
export type Closed = Omit<RunResult, 'times_ms' | 'load_ms' | 'first_run_ms'>;

/**
 * open: load an engine in this worker and run it once; time: n timed runs of it; close: its
 * facts, then dispose (the worker stays until the page terminates it). The others are one-shot.
 */
export type WorkerRequest =
  | { kind: 'open'; config: RunConfig }
  | { kind: 'time'; n: number }
  | { kind: 'close' }
  | { kind: 'cold'; url: string }
  | { kind: 'stems' };
export type WorkerReply = { ok: true; result: Opened | number[] | Closed | ColdStartResult | StemRow[] } | { ok: false; error: string };
