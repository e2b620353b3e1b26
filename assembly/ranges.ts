// Row/element ranges of the glue ops for the kernel threads (docs/THREADS.md): each computes every row on its
// own, so any split is bit-identical to the whole call. t (the thread) is unused: no scratch.
import { wordsFor } from './bits';
import { pack, packAffine } from './pack';
import { scaleShift, fadd } from './float/eltwise';

@inline function rowF32(base: usize, r: i32, C: i32): usize {
  return base + (<usize>r * <usize>C << 2);
}

@inline function rowBits(base: usize, r: i32, C: i32): usize {
  return base + (<usize>r * <usize>wordsFor(C) << 3);
}

/** Rows [r0, r1) of pack. */
export function packRange(r0: i32, r1: i32, t: i32, x: usize, out: usize, C: i32): void {
  pack(rowF32(x, r0, C), rowBits(out, r0, C), r1 - r0, C);
}

/** Rows [r0, r1) of packAffine. */
export function packAffineRange(r0: i32, r1: i32, t: i32, x: usize, out: usize, C: i32, s: usize, sh: usize): void {
  packAffine(rowF32(x, r0, C), rowBits(out, r0, C), r1 - r0, C, s, sh);
}

/** Rows [r0, r1) of scaleShift. */
export function scaleShiftRange(r0: i32, r1: i32, t: i32, x: usize, y: usize, C: i32, s: usize, sh: usize, relu: i32): void {
  scaleShift(rowF32(x, r0, C), rowF32(y, r0, C), r1 - r0, C, s, sh, relu);
}

/** Elements [i0, i1) of fadd. */
export function faddRange(i0: i32, i1: i32, t: i32, a: usize, b: usize, y: usize): void {
  const o = <usize>i0 << 2;
  fadd(a + o, b + o, y + o, i1 - i0);
}
