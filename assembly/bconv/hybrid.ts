// Hybrid popcount strategy of the binary conv (docs/KERNELS.md "Hybrid popcount"): pixel A
// counted by scalar i64.popcnt, pixel B by SIMD byte counts, from the same weight words.

import { pairSums, st4, widenU8 } from '../popcount';

// Two output pixels × the same 4 output channels per pass: the integer ALUs and the vector
// pipes each stay near one word per cycle alone; fed together they overlap.
//
// SIMD byte count (cnt8): in the relaxed builds a hand-written nibble table with
// i8x16.relaxed_swizzle (a bare pshufb on x86; indices are nibbles 0..15, so the relaxed
// result is fully determined); in the plain builds i8x16.popcnt (V8 lowers it to the same
// table lookup plus a little). Byte lanes take <= 8 per step, so they are widened every
// <= 31 steps (31 * 8 = 248 <= 255), as in the SIMD strategy.
/** Per-byte popcount of v (u8 lanes, each 0..8). */
@inline export function cnt8(v: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    const m = i8x16.splat(0x0f);
    const tbl = i8x16(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const lo = v128.and(v, m);
    const hi = v128.and(i16x8.shr_u(v, 4), m);
    return i8x16.add(i8x16.relaxed_swizzle(tbl, lo), i8x16.relaxed_swizzle(tbl, hi));
  }
  const m = i8x16.splat(0x0f);
  const tbl = i8x16(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  return i8x16.add(i8x16.swizzle(tbl, v128.and(v, m)), i8x16.swizzle(tbl, v128.and(i16x8.shr_u(v, 4), m)));
}

/** u8 lane counts of channels (0,1) and (2,3) -> i32x4 of the 4 channel sums. */
@inline function finishBytes(b01: v128, b23: v128): v128 {
  const zero = i32x4.splat(0);
  return pairSums(widenU8(zero, b01), widenU8(zero, b23));
}

/**
 * General loop shape: pixels A (pa0) and B (pb0) x the 4 channels at wb over KH x kwN runs of
 * seg words -> pca[0..3] (scalar) and pcb[0..3] (SIMD).
 */
@inline export function pairHybrid(pa0: usize, pb0: usize, wb: usize, pca: usize, pcb: usize,
  KH: i32, seg: i32, kwN: i32, khStepB: usize, kwStepB: usize, wKhB: usize, wKwB: usize): void {
  const zero = i32x4.splat(0);
  let a0: u64 = 0, a1: u64 = 0, a2: u64 = 0, a3: u64 = 0;
  let b01 = zero, b23 = zero, wb01 = zero, wb23 = zero;
  let cnt = 0;
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < kwN; kw++) {
      const off = <usize>kh * khStepB + <usize>kw * kwStepB;
      let pa = pa0 + off, pb = pb0 + off;
      let pw = wb + <usize>kh * wKhB + <usize>kw * wKwB;
      let j = 0;
      while (j < seg) {
        const take = min(seg - j, 31 - cnt);
        if (take == 0) {
          wb01 = widenU8(wb01, b01); wb23 = widenU8(wb23, b23);
          b01 = zero; b23 = zero;
          cnt = 0;
          continue;
        }
        const end = pa + (<usize>take << 3);
        do {
          const xa = load<u64>(pa);
          a0 += popcnt<u64>(load<u64>(pw) ^ xa); a1 += popcnt<u64>(load<u64>(pw, 8) ^ xa);
          a2 += popcnt<u64>(load<u64>(pw, 16) ^ xa); a3 += popcnt<u64>(load<u64>(pw, 24) ^ xa);
          const xb = v128.load64_splat(pb);
          b01 = i8x16.add(b01, cnt8(v128.xor(v128.load(pw), xb)));
          b23 = i8x16.add(b23, cnt8(v128.xor(v128.load(pw, 16), xb)));
          pa += 8; pb += 8; pw += 32;
        } while (pa < end);
        j += take; cnt += take;
      }
    }
  }
  wb01 = widenU8(wb01, b01); wb23 = widenU8(wb23, b23);
  st4(pca, a0, a1, a2, a3);
  v128.store(pcb, pairSums(wb01, wb23));
}

/**
 * pairHybrid for runs of seg <= 31 words: the u8 lanes are widened between runs (before a run
 * that would pass 31 words), so each run is one plain loop.
 */
@inline export function pairHybridShort(pa0: usize, pb0: usize, wb: usize, pca: usize, pcb: usize,
  KH: i32, seg: i32, kwN: i32, khStepB: usize, kwStepB: usize, wKhB: usize, wKwB: usize): void {
  const zero = i32x4.splat(0);
  let a0: u64 = 0, a1: u64 = 0, a2: u64 = 0, a3: u64 = 0;
  let b01 = zero, b23 = zero, wb01 = zero, wb23 = zero;
  let cnt = 0;
  const segB = <usize>seg << 3;
  for (let kh = 0; kh < KH; kh++) {
    let pa = pa0 + <usize>kh * khStepB, pb = pb0 + <usize>kh * khStepB;
    let pw = wb + <usize>kh * wKhB;
    for (let kw = 0; kw < kwN; kw++) {
      if (cnt + seg > 31) {
        wb01 = widenU8(wb01, b01); wb23 = widenU8(wb23, b23);
        b01 = zero; b23 = zero;
        cnt = 0;
      }
      let qa = pa, qb = pb, qw = pw;
      const end = qa + segB;
      do {
        const xa = load<u64>(qa);
        a0 += popcnt<u64>(load<u64>(qw) ^ xa); a1 += popcnt<u64>(load<u64>(qw, 8) ^ xa);
        a2 += popcnt<u64>(load<u64>(qw, 16) ^ xa); a3 += popcnt<u64>(load<u64>(qw, 24) ^ xa);
        const xb = v128.load64_splat(qb);
        b01 = i8x16.add(b01, cnt8(v128.xor(v128.load(qw), xb)));
        b23 = i8x16.add(b23, cnt8(v128.xor(v128.load(qw, 16), xb)));
        qa += 8; qb += 8; qw += 32;
      } while (qa < end);
      cnt += seg;
      pa += kwStepB; pb += kwStepB; pw += wKwB;
    }
  }
  wb01 = widenU8(wb01, b01); wb23 = widenU8(wb23, b23);
  st4(pca, a0, a1, a2, a3);
  v128.store(pcb, pairSums(wb01, wb23));
}

/** One contiguous run of seg <= 31 words (KH == 1, DW == 1: 1x1 and 1xK convs). */
@inline export function pairHybridRun(pa0: usize, pb0: usize, wb: usize, pca: usize, pcb: usize, seg: i32): void {
  const zero = i32x4.splat(0);
  let a0: u64 = 0, a1: u64 = 0, a2: u64 = 0, a3: u64 = 0;
  let b01 = zero, b23 = zero;
  let pa = pa0, pb = pb0, pw = wb;
  const end = pa0 + (<usize>seg << 3);
  do {
    const xa = load<u64>(pa);
    a0 += popcnt<u64>(load<u64>(pw) ^ xa); a1 += popcnt<u64>(load<u64>(pw, 8) ^ xa);
    a2 += popcnt<u64>(load<u64>(pw, 16) ^ xa); a3 += popcnt<u64>(load<u64>(pw, 24) ^ xa);
    const xb = v128.load64_splat(pb);
    b01 = i8x16.add(b01, cnt8(v128.xor(v128.load(pw), xb)));
    b23 = i8x16.add(b23, cnt8(v128.xor(v128.load(pw, 16), xb)));
    pa += 8; pb += 8; pw += 32;
  } while (pa < end);
  st4(pca, a0, a1, a2, a3);
  v128.store(pcb, finishBytes(b01, b23));
}

/**
 * KH == 3, seg == 3 (c <= 64 3x3, DW == 1): 3 rows of 3 words, rows khStepB apart. The
 * 9 words are a loop over the 3 rows with the 3 words of a row straight-line.
 */
@inline export function pairHybrid33(pa0: usize, pb0: usize, wb: usize, pca: usize, pcb: usize, khStepB: usize): void {
  const zero = i32x4.splat(0);
  let a0: u64 = 0, a1: u64 = 0, a2: u64 = 0, a3: u64 = 0;
  let b01 = zero, b23 = zero;
  let pa = pa0, pb = pb0, pw = wb;
  const wEnd = wb + 288;
  do {
    let xa = load<u64>(pa);
    a0 += popcnt<u64>(load<u64>(pw) ^ xa); a1 += popcnt<u64>(load<u64>(pw, 8) ^ xa);
    a2 += popcnt<u64>(load<u64>(pw, 16) ^ xa); a3 += popcnt<u64>(load<u64>(pw, 24) ^ xa);
    let xb = v128.load64_splat(pb);
    b01 = i8x16.add(b01, cnt8(v128.xor(v128.load(pw), xb)));
    b23 = i8x16.add(b23, cnt8(v128.xor(v128.load(pw, 16), xb)));
    xa = load<u64>(pa, 8);
    a0 += popcnt<u64>(load<u64>(pw, 32) ^ xa); a1 += popcnt<u64>(load<u64>(pw, 40) ^ xa);
    a2 += popcnt<u64>(load<u64>(pw, 48) ^ xa); a3 += popcnt<u64>(load<u64>(pw, 56) ^ xa);
    xb = v128.load64_splat(pb, 8);
    b01 = i8x16.add(b01, cnt8(v128.xor(v128.load(pw, 32), xb)));
    b23 = i8x16.add(b23, cnt8(v128.xor(v128.load(pw, 48), xb)));
    xa = load<u64>(pa, 16);
    a0 += popcnt<u64>(load<u64>(pw, 64) ^ xa); a1 += popcnt<u64>(load<u64>(pw, 72) ^ xa);
    a2 += popcnt<u64>(load<u64>(pw, 80) ^ xa); a3 += popcnt<u64>(load<u64>(pw, 88) ^ xa);
    xb = v128.load64_splat(pb, 16);
    b01 = i8x16.add(b01, cnt8(v128.xor(v128.load(pw, 64), xb)));
    b23 = i8x16.add(b23, cnt8(v128.xor(v128.load(pw, 80), xb)));
    pa += khStepB; pb += khStepB; pw += 96;
  } while (pw < wEnd);
  st4(pca, a0, a1, a2, a3);
  v128.store(pcb, finishBytes(b01, b23));
}
