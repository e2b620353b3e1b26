// The multiply-add of the float kernels: one FMA in the relaxed builds, mul + add in the plain ones.

// c + a*b on f32x4. The relaxed builds (asconfig targets relaxed, threads-relaxed) compile it
// to f32x4.relaxed_madd: one FMA where the CPU has it, rounded once, so their float results
// differ from the plain builds' in the last bits (and may differ between machines). The plain
// builds keep mul + add, which is all that validates in engines without relaxed SIMD.
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** Whether this build's float kernels use relaxed_madd (the JS side reports which build runs). */
export function relaxedSimd(): bool {
  return ASC_FEATURE_RELAXED_SIMD;
}
