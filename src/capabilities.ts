// What this engine offers xnor-web. Nothing is probed at import time (importing is safe in
// Node, workers and pages alike); getCapabilities() validates tiny modules synchronously.

import type { PopcountStrategy } from './wasm/kernels.js';
import { relaxedSimdSupported, simdSupported, validates } from './wasm/features.js';

/** What getCapabilities() reports about this engine. */
export interface Capabilities {
  /** WebAssembly fixed-width SIMD (required: xnor.wasm has no scalar build). */
  simd: boolean;
  /**
   * Relaxed SIMD: where true the xnor.relaxed.wasm builds run by default (the binary convs count
   * bits with relaxed_swizzle; the same bits as the plain builds), and `wasm: { fma: true }`
   * picks the xnor.fma.wasm builds (FMA float layers; results differ in the last float bits).
   */
  relaxedSimd: boolean;
  /**
   * WASM threads can run here: shared memory + atomics validate, SharedArrayBuffer exists, and
   * (in a browser) the page is cross-origin isolated. `loadModel(…, { threads })` uses them.
   */
  threads: boolean;
  /** `globalThis.crossOriginIsolated` (COOP: same-origin + COEP: require-corp); false in Node. */
  crossOriginIsolated: boolean;
  /**
   * The global popcount strategy of this realm (`'scalar'`, `'simd'` or `'hybrid'`): the race's
   * pick once the first model has run three inferences (each binary conv also gets the pick for
   * its loop shape), `'scalar'` before; undefined until a model has loaded with the WASM backend.
   */
  popcount?: PopcountStrategy;
}

// (module (memory 1 1 shared) (func i32.const 0 i32.atomic.load drop))
const THREADS_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0, 26, 11,
]);

let popcount: PopcountStrategy | undefined;
let probed: { atomics: boolean } | undefined;

/** Records the popcount strategy: loadModel's provisional one, or (`raced`) the race's pick. @internal */
export function notePopcount(s: PopcountStrategy | undefined, raced = false): void {
  if (s && (raced || !popcount)) popcount = s;
}

const isNode = () => {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return !!p?.versions?.node && typeof (globalThis as { window?: unknown }).window === 'undefined';
};

/** What this engine supports; cheap after the first call. */
export function getCapabilities(): Capabilities {
  probed ??= { atomics: validates(THREADS_PROBE) };
  const g = globalThis as { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown };
  const coi = g.crossOriginIsolated === true;
  return {
    simd: simdSupported(),
    relaxedSimd: relaxedSimdSupported(),
    threads: probed.atomics && typeof g.SharedArrayBuffer === 'function' && (coi || isNode()),
    crossOriginIsolated: coi,
    popcount,
  };
}

let warned = false;

/** Most threads a model uses (the convs of one inference stop scaling well before). */
export const MAX_THREADS = 16;

/**
 * The thread count to use for a request of `threads`: a count (clamped to 1..MAX_THREADS), or
 * true for one per logical core (navigator.hardwareConcurrency, at most 4; 2 where unknown).
 * Where threads cannot run (a page that is not cross-origin isolated), 1, with one warning.
 */
export function resolveThreads(threads: number | boolean | undefined): number {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  const want =
    threads === true ? Math.min(4, cores || 2) : typeof threads === 'number' && Number.isFinite(threads) ? Math.floor(threads) : 1;
  if (want <= 1) return 1;
  if (!getCapabilities().threads) {
    if (!warned) {
      warned = true;
      console.warn(
        'xnor-web: threads were requested, but this page is not cross-origin isolated (it needs the headers ' +
          '"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp"), so ' +
          'SharedArrayBuffer is unavailable; running single-threaded.',
      );
    }
    return 1;
  }
  return Math.min(MAX_THREADS, want);
}

/** For tests: forget the once-only warning. @internal */
export function resetThreadsWarning(): void {
  warned = false;
}
