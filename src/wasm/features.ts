// WebAssembly feature detection by validating tiny modules (no instantiation, synchronous).

// (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)) — the probe used by
// wasm-feature-detect: validates only where fixed-width SIMD (the final proposal) is on.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

// (module (func (result v128) i32.const 1 i8x16.splat i32.const 2 i8x16.splat i8x16.relaxed_swizzle))
// — wasm-feature-detect's probe: relaxed SIMD ships as one proposal (Chromium ≥ 114), so any of
// its ops stands for f32x4.relaxed_madd.
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2, 253, 15, 253, 128, 2, 11,
]);

let simd: boolean | undefined;
let relaxed: boolean | undefined;

/** WebAssembly.validate that answers false where there is no WebAssembly (or it throws). */
export const validates = (bytes: Uint8Array): boolean => {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>);
  } catch {
    return false;
  }
};

/** Whether this engine supports WebAssembly fixed-width SIMD (which xnor.wasm requires). */
export function simdSupported(): boolean {
  return (simd ??= validates(SIMD_PROBE));
}

/**
 * Whether this engine has relaxed SIMD (Chromium ≥ 114; Node ≥ 22, or Node 20 with
 * --experimental-wasm-relaxed-simd), so the relaxed builds (xnor.relaxed.wasm: relaxed_swizzle
 * byte counts; xnor.fma.wasm: FMA float convs when asked for) load.
 */
export function relaxedSimdSupported(): boolean {
  return (relaxed ??= validates(RELAXED_SIMD_PROBE));
}
