// WebAssembly feature detection by validating tiny modules (no instantiation, synchronous).

// (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)) — the probe used by
// wasm-feature-detect: validates only where fixed-width SIMD (the final proposal) is on.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

let simd: boolean | undefined;

/** Whether this engine supports WebAssembly fixed-width SIMD (which xnor.wasm requires). */
export function simdSupported(): boolean {
  if (simd === undefined) {
    try {
      simd = typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
    } catch {
      simd = false;
    }
  }
  return simd;
}

/** Whether WASM threads could be used: cross-origin isolated, SharedArrayBuffer present. */
export function threadsAvailable(): boolean {
  const g = globalThis as { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown };
  return typeof g.SharedArrayBuffer === 'function' && g.crossOriginIsolated !== false;
}
