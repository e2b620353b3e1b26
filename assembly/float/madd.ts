// The multiply-add of the float kernels: one FMA in the fma builds, mul + add in all others.

// c + a*b on f32x4. The fma builds (asconfig targets fma, threads-fma: relaxed SIMD with
// `use: FMA=1`) compile it to f32x4.relaxed_madd: one FMA where the CPU has it, rounded once,
// so their float results differ from the other builds' in the last bits (and may differ
// between machines). Every other build, relaxed ones included, keeps mul + add: the same bits
// in every engine.
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD && isDefined(FMA)) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** Whether this is a relaxed-SIMD build (the JS side reports which build runs). */
export function relaxedSimd(): bool {
  return ASC_FEATURE_RELAXED_SIMD;
}

/** Whether this build's float kernels use relaxed_madd (an fma build). */
export function fma(): bool {
  return ASC_FEATURE_RELAXED_SIMD && isDefined(FMA);
}
