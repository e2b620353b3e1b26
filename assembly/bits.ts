// THE bit convention of xnor-web. Every kernel cites this file; docs/KERNELS.md repeats it.
//
// - Words are u64, little-endian in linear memory.
// - Tensors are NHWC (activations) / OHWI (weights) with the channel axis packed LSB first:
//   each pixel (or each (o, kh, kw) weight row) holds CW = ceil(C / 64) words, and element c
//   is bit (c % 64) of word (c / 64). A dense vector of length K holds ceil(K / 64) words.
// - Bit 1 means -1, bit 0 means +1 (as Larq Compute Engine).
// - Binarization: x >= 0 -> +1 (bit 0); x < 0 -> -1 (bit 1). -0.0 >= 0 is true -> +1.
//   NaN >= 0 is false -> -1 (bit 1).
// - Channel-padding bits (c >= C in the last word) are 0 in activations AND weights, so they
//   XOR to 0 and never reach popcount. For two ±1 vectors of n real elements:
//       dot = n - 2 * popcount(a XOR b).

export const WORD_BITS: i32 = 64;
export const WORD_BYTES: i32 = 8;
export const LOG2_WORD_BITS: i32 = 6;

/** Words per packed row of c channels: ceil(c / 64). */
@inline export function wordsFor(c: i32): i32 {
  return (c + 63) >> 6;
}

/** Mask of the real channels in the LAST word of a row of c channels. */
@inline export function lastWordMask(c: i32): u64 {
  const r = c & 63;
  return r == 0 ? <u64>-1 : ((<u64>1 << <u64>r) - 1);
}

/** Binary conv padding modes (see docs/KERNELS.md, "padding"). */
export const PAD_PLUS_ONE: i32 = 0;  // padded taps are +1 (bit 0)
export const PAD_MINUS_ONE: i32 = 1; // padded taps are -1 (bit 1 on real channels)
export const PAD_ZERO: i32 = 2;      // padded taps contribute 0 (+1 kernel + correction table)
