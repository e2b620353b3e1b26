// Popcount strategy switch: scalar, SIMD or hybrid give identical results; which is faster depends
// on the engine/CPU (docs/KERNELS.md "Popcount strategies"; src/wasm/kernels.ts choosePopcount times them).

import { POPCOUNT_SCALAR, POPCOUNT_SIMD, POPCOUNT_HYBRID } from './abi';

let mode: i32 = POPCOUNT_SCALAR;

/**
 * 0 = scalar i64.popcnt per word; 1 = i8x16.popcnt with byte-lane accumulation (widened every
 * <= 31 steps: 31*8 = 248 fits a u8 lane); 2 = hybrid: 2 pixels per pass, one by scalar and one
 * by SIMD counts of the same weight words (bconv/hybrid.ts; bdense runs scalar rows).
 */
export function setPopcountMode(m: i32): void {
  mode = m == POPCOUNT_SIMD || m == POPCOUNT_HYBRID ? m : POPCOUNT_SCALAR;
}

export function getPopcountMode(): i32 {
  return mode;
}

/** Widen u8 lane counts into u32 lanes (adds to `acc`). */
@inline export function widenU8(acc: v128, bytes: v128): v128 {
  return i32x4.add(acc, i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(bytes)));
}

/** Sum of i32 lane pairs: (a.0+a.1, a.2+a.3, b.0+b.1, b.2+b.3). */
@inline export function pairSums(a: v128, b: v128): v128 {
  return i32x4.add(v128.shuffle<i32>(a, b, 0, 2, 4, 6), v128.shuffle<i32>(a, b, 1, 3, 5, 7));
}

/** Stores 4 channels' popcount sums as i32 at pc; mid-kernel a schedule barrier (bconv/kernel.ts oneScalar33). */
@inline export function st4(pc: usize, a0: u64, a1: u64, a2: u64, a3: u64): void {
  store<i32>(pc, <i32>a0); store<i32>(pc, <i32>a1, 4); store<i32>(pc, <i32>a2, 8); store<i32>(pc, <i32>a3, 12);
}

/** Popcount of a XOR b over `words` u64 words, L1-resident roofline loop (benchmark only). */
export function xorPopcountSum(a: usize, b: usize, words: i32, reps: i32, strategy: i32): i64 {
  let total: i64 = 0;
  if (strategy == POPCOUNT_SIMD) {
    for (let r = 0; r < reps; r++) {
      let wide = i32x4.splat(0);
      let i = 0;
      while (i + 2 <= words) {
        let acc = i32x4.splat(0);
        // unrolled by 4 v128 per step; limit steps so u8 lanes stay <= 248
        let steps = 0;
        for (; i + 8 <= words && steps < 7; i += 8, steps++) {
          const o = <usize>i << 3;
          acc = i8x16.add(acc, i8x16.popcnt(v128.xor(v128.load(a + o), v128.load(b + o))));
          acc = i8x16.add(acc, i8x16.popcnt(v128.xor(v128.load(a + o, 16), v128.load(b + o, 16))));
          acc = i8x16.add(acc, i8x16.popcnt(v128.xor(v128.load(a + o, 32), v128.load(b + o, 32))));
          acc = i8x16.add(acc, i8x16.popcnt(v128.xor(v128.load(a + o, 48), v128.load(b + o, 48))));
        }
        if (steps == 0) {
          const o = <usize>i << 3;
          acc = i8x16.popcnt(v128.xor(v128.load(a + o), v128.load(b + o)));
          i += 2;
        }
        wide = widenU8(wide, acc);
      }
      total += <i64>(i32x4.extract_lane(wide, 0) + i32x4.extract_lane(wide, 1) +
        i32x4.extract_lane(wide, 2) + i32x4.extract_lane(wide, 3));
      for (; i < words; i++) {
        const o = <usize>i << 3;
        total += popcnt<u64>(load<u64>(a + o) ^ load<u64>(b + o));
      }
    }
  } else {
    for (let r = 0; r < reps; r++) {
      let s0: u64 = 0, s1: u64 = 0, s2: u64 = 0, s3: u64 = 0;
      let i = 0;
      for (; i + 4 <= words; i += 4) {
        const o = <usize>i << 3;
        s0 += popcnt<u64>(load<u64>(a + o) ^ load<u64>(b + o));
        s1 += popcnt<u64>(load<u64>(a + o, 8) ^ load<u64>(b + o, 8));
        s2 += popcnt<u64>(load<u64>(a + o, 16) ^ load<u64>(b + o, 16));
        s3 += popcnt<u64>(load<u64>(a + o, 24) ^ load<u64>(b + o, 24));
      }
      for (; i < words; i++) {
        const o = <usize>i << 3;
        s0 += popcnt<u64>(load<u64>(a + o) ^ load<u64>(b + o));
      }
      total += <i64>(s0 + s1 + s2 + s3);
    }
  }
  return total;
}
