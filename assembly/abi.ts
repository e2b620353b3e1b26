// The structs and constants JS writes for the kernels, declared once; scripts/gen-abi.mjs reads
// `@unmanaged export class` fields (i32/u32/f32/usize, 4 bytes each, in order) and `export const NAME: i32 = <int>;`.

/**
 * Geometry of a conv or pool, shared by every windowed kernel (80 bytes). Kernels trust it;
 * checks live in the TS op layer. OH = floor((H + PT + PB - DH*(KH-1) - 1) / SH) + 1, same for OW.
 */
@unmanaged export class ConvParams {
  n: i32;
  h: i32;
  w: i32;
  /** input channels */
  c: i32;
  /** output channels (0 for pools) */
  o: i32;
  kh: i32;
  kw: i32;
  sh: i32;
  sw: i32;
  dh: i32;
  dw: i32;
  /** pads: top, left, bottom, right */
  pt: i32;
  pl: i32;
  pb: i32;
  pr: i32;
  oh: i32;
  ow: i32;
  /** binary conv padding: PAD_PLUS_ONE, PAD_MINUS_ONE or PAD_ZERO */
  padMode: i32;
  /** FLAG_RELU | FLAG_PACKED */
  flags: i32;
  /** binary conv: 0 = the global popcount mode, m + 1 = strategy m (POPCOUNT_*) for this layer */
  popcount: i32;
}

/**
 * What the binary conv does with a dot product (docs/KERNELS.md "output transform"), written
 * once at load; every thread of a split conv reads the same one. Pointers, 0 = absent.
 */
@unmanaged export class OutputTransform {
  /** f32 [O] (absent: 1) */
  mul: usize;
  /** f32 [O] (absent: 0) */
  bias: usize;
  /** f32 [N, OH, OW] (absent: 1) */
  kmap: usize;
  /** i32 [O], packed output: bit o = +1 iff dir[o] >= 0 ? dot >= thr[o] : dot <= thr[o] */
  thr: usize;
  /** i32 [O], packed output */
  dir: usize;
  /** zero-padding correction table (bconvPrepareCorrection); read only when padMode is PAD_ZERO */
  corr: usize;
}

/** flags bit 0: ReLU on float output. */
export const FLAG_RELU: i32 = 1;
/** flags bit 1: packed output (per-channel integer threshold on dot), binary conv only. */
export const FLAG_PACKED: i32 = 2;

/** Binary conv padding modes (docs/KERNELS.md "padding"). */
export const PAD_PLUS_ONE: i32 = 0;  // padded taps are +1 (bit 0)
export const PAD_MINUS_ONE: i32 = 1; // padded taps are -1 (bit 1 on real channels)
export const PAD_ZERO: i32 = 2;      // padded taps contribute 0 (+1 kernel + correction table)

/** Popcount strategies (popcount.ts). */
export const POPCOUNT_SCALAR: i32 = 0;
export const POPCOUNT_SIMD: i32 = 1;
export const POPCOUNT_HYBRID: i32 = 2;

/** The struct at pointer `p`. */
@inline export function convParams(p: usize): ConvParams {
  return changetype<ConvParams>(p);
}

@inline export function outputTransform(p: usize): OutputTransform {
  return changetype<OutputTransform>(p);
}
