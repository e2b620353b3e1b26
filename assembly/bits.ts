// Packed-bit helpers; the bit convention they follow is written once, in docs/KERNELS.md
// "Bit convention".

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

