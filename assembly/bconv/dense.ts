// Byte-dense runs of the binary conv (docs/KERNELS.md "Dense runs"): where C is a multiple of 8
// but not of 64, a pixel's CW words carry 64*CW - C padding bits that are counted like real ones
// (c96: 2 words, 32 of 128 bits padding). With DW == 1 a kernel row is KW adjacent pixels, so
// the padded input copy keeps each pixel's C/8 bytes back to back and a kernel row becomes
// ceil(KW*C/64) words (c96 5x5: 8 instead of 10) read by unaligned loads; the last word's bytes
// past the row are masked off the input (its weight bytes there are 0). Same bits counted, so
// the popcounts are identical to the word layout's.
import { wordsFor } from '../bits';
import { ConvParams, PAD_MINUS_ONE } from '../abi';
import { pairSums, st4, widenU8 } from '../popcount';
import { cnt8 } from './hybrid';

/** Words of one dense kernel row (KW pixels of C/8 bytes). */
@inline export function denseRowWords(prm: ConvParams): i32 {
  return (prm.kw * prm.c + 63) >> 6;
}

/**
 * Whether the conv runs on dense runs: padded (the dense copy lives in the pad scratch), DW == 1,
 * C % 8 == 0 with padding bits, fewer words per row than the word layout, <= 31 (byte-lane
 * counts widen between rows), and not one of runTiles' own loop shapes (KH == 1 runs, 3x3 c <= 64).
 */
export function bconvDense(prm: ConvParams): bool {
  const C = prm.c, KH = prm.kh, KW = prm.kw, CW = wordsFor(C);
  if ((prm.pt | prm.pl | prm.pb | prm.pr) == 0 || prm.dw != 1) return false;
  if ((C & 7) != 0 || (C & 63) == 0 || KH == 1 || (KH == 3 && KW * CW == 3)) return false;
  const rw = denseRowWords(prm);
  return rw < KW * CW && rw <= 31;
}

/** Mask of the bytes of a dense row's last word that belong to the row. */
@inline export function denseTailMask(prm: ConvParams): u64 {
  const tail = ((prm.kw * prm.c) >> 3) & 7;
  return tail == 0 ? <u64>-1 : (<u64>1 << <u64>(tail << 3)) - 1;
}

/**
 * wPacked: OHWI packed [O][KH][KW][CW] -> out: [ceil(O/4)][KH][RW][4] u64, RW =
 * denseRowWords: channel o's kernel row kh is its KW taps' first C/8 bytes back to back,
 * zero-filled to RW words; the 4 channels of a block interleaved per word as in the word layout.
 */
export function bconvPrepareDenseWeights(prm: ConvParams, wPacked: usize, out: usize): void {
  const O = prm.o, KH = prm.kh, KW = prm.kw, CW = wordsFor(prm.c), PB = prm.c >> 3;
  const RW = denseRowWords(prm), O4 = (O + 3) & ~3;
  memory.fill(out, 0, <usize>(O4 * KH * RW) << 3);
  for (let o = 0; o < O; o++) {
    const ob = o >> 2, i = o & 3;
    for (let kh = 0; kh < KH; kh++) {
      const row = out + (<usize>((ob * KH + kh) * RW * 4 + i) << 3);
      for (let kw = 0; kw < KW; kw++) {
        const src = wPacked + (<usize>(((o * KH + kh) * KW + kw) * CW) << 3);
        for (let b = 0; b < PB; b++) {
          const pos = kw * PB + b;
          store<u8>(row + (<usize>(pos >> 3) << 5) + <usize>(pos & 7), load<u8>(src + <usize>b));
        }
      }
    }
  }
}

/** Copies PB bytes (a pixel's first PB bytes of its words). */
@inline function copyPixel(dst: usize, src: usize, PB: i32): void {
  let j = 0;
  for (; j + 8 <= PB; j += 8) store<u64>(dst + <usize>j, load<u64>(src + <usize>j));
  for (; j < PB; j++) store<u8>(dst + <usize>j, load<u8>(src + <usize>j));
}

/** Dense padded copy of x: [N][Hp][Wp] pixels of C/8 bytes; pad pixels all 1 bits (-1 pad) or 0. */
export function bconvPadDense(prm: ConvParams, x: usize, dst: usize): void {
  const N = prm.n, H = prm.h, W = prm.w, CW = wordsFor(prm.c), PB = prm.c >> 3;
  const PT = prm.pt, PL = prm.pl, PR = prm.pr;
  const Hp = H + PT + prm.pb, Wp = W + PL + PR;
  const fill: u8 = prm.padMode == PAD_MINUS_ONE ? 0xff : 0;
  const rowB = <usize>(Wp * PB);
  for (let n = 0; n < N; n++) {
    for (let hp = 0; hp < Hp; hp++) {
      const d = dst + <usize>(n * Hp + hp) * rowB;
      const h = hp - PT;
      if (h < 0 || h >= H) { memory.fill(d, fill, rowB); continue; }
      memory.fill(d, fill, <usize>(PL * PB));
      const s = x + (<usize>((n * H + h) * W * CW) << 3);
      for (let w = 0; w < W; w++) copyPixel(d + <usize>((PL + w) * PB), s + (<usize>(w * CW) << 3), PB);
      memory.fill(d + <usize>((PL + W) * PB), fill, <usize>(PR * PB));
    }
  }
}

// The last word of a row (masked) is a second copy of the loop body: one body with a select
// mask measured slower (bench/results/code-notes.md).

/** Scalar: pixel pa0 x the 4 channels at wb over KH dense rows of RW words -> pca[0..3]. */
@inline export function oneDense(pa0: usize, wb: usize, pca: usize, KH: i32, RW: i32, khStepB: usize, mask: u64): void {
  let a0: u64 = 0, a1: u64 = 0, a2: u64 = 0, a3: u64 = 0;
  let pw = wb;
  const lastB = <usize>(RW - 1) << 3;
  for (let kh = 0; kh < KH; kh++) {
    let pa = pa0 + <usize>kh * khStepB;
    const end = pa + lastB;
    while (pa < end) {
      const x = load<u64>(pa);
      a0 += popcnt<u64>(load<u64>(pw) ^ x); a1 += popcnt<u64>(load<u64>(pw, 8) ^ x);
      a2 += popcnt<u64>(load<u64>(pw, 16) ^ x); a3 += popcnt<u64>(load<u64>(pw, 24) ^ x);
      pa += 8; pw += 32;
    }
    const x = load<u64>(pa) & mask;
    a0 += popcnt<u64>(load<u64>(pw) ^ x); a1 += popcnt<u64>(load<u64>(pw, 8) ^ x);
    a2 += popcnt<u64>(load<u64>(pw, 16) ^ x); a3 += popcnt<u64>(load<u64>(pw, 24) ^ x);
    pw += 32;
  }
  st4(pca, a0, a1, a2, a3);
}

/** Pixels A (pa0, i64.popcnt) and B (pb0, cnt8) x the 4 channels at wb -> pca[0..3], pcb[0..3]. */
@inline export function pairDenseHybrid(pa0: usize, pb0: usize, wb: usize, pca: usize, pcb: usize,
  KH: i32, RW: i32, khStepB: usize, mask: u64): void {
  const zero = i32x4.splat(0);
  let a0: u64 = 0, a1: u64 = 0, a2: u64 = 0, a3: u64 = 0;
  let b01 = zero, b23 = zero, wb01 = zero, wb23 = zero;
  let cnt = 0;
  let pw = wb;
  const lastB = <usize>(RW - 1) << 3;
  const m = i64x2.splat(mask);
  for (let kh = 0; kh < KH; kh++) {
    // u8 lanes take <= 8 per word: widened before a row that would pass 31 words
    if (cnt + RW > 31) {
      wb01 = widenU8(wb01, b01); wb23 = widenU8(wb23, b23); b01 = zero; b23 = zero;
      cnt = 0;
    }
    let pa = pa0 + <usize>kh * khStepB, pb = pb0 + <usize>kh * khStepB;
    const end = pa + lastB;
    while (pa < end) {
      const xa = load<u64>(pa);
      a0 += popcnt<u64>(load<u64>(pw) ^ xa); a1 += popcnt<u64>(load<u64>(pw, 8) ^ xa);
      a2 += popcnt<u64>(load<u64>(pw, 16) ^ xa); a3 += popcnt<u64>(load<u64>(pw, 24) ^ xa);
      const xb = v128.load64_splat(pb);
      b01 = i8x16.add(b01, cnt8(v128.xor(v128.load(pw), xb)));
      b23 = i8x16.add(b23, cnt8(v128.xor(v128.load(pw, 16), xb)));
      pa += 8; pb += 8; pw += 32;
    }
    const xa = load<u64>(pa) & mask;
    a0 += popcnt<u64>(load<u64>(pw) ^ xa); a1 += popcnt<u64>(load<u64>(pw, 8) ^ xa);
    a2 += popcnt<u64>(load<u64>(pw, 16) ^ xa); a3 += popcnt<u64>(load<u64>(pw, 24) ^ xa);
    const xb = v128.and(v128.load64_splat(pb), m);
    b01 = i8x16.add(b01, cnt8(v128.xor(v128.load(pw), xb)));
    b23 = i8x16.add(b23, cnt8(v128.xor(v128.load(pw, 16), xb)));
    pw += 32;
    cnt += RW;
  }
  wb01 = widenU8(wb01, b01); wb23 = widenU8(wb23, b23);
  st4(pca, a0, a1, a2, a3);
  v128.store(pcb, pairSums(wb01, wb23));
}

/** Pixels A (pa0) and B (pb0) x the 4 channels at wb, both by i8x16.popcnt byte counts. */
@inline export function pairDenseSimd(pa0: usize, pb0: usize, wb: usize, pca: usize, pcb: usize,
  KH: i32, RW: i32, khStepB: usize, mask: u64): void {
  const zero = i32x4.splat(0);
  let a01 = zero, a23 = zero, wa01 = zero, wa23 = zero;
  let b01 = zero, b23 = zero, wb01 = zero, wb23 = zero;
  let cnt = 0;
  let pw = wb;
  const lastB = <usize>(RW - 1) << 3;
  const m = i64x2.splat(mask);
  for (let kh = 0; kh < KH; kh++) {
    if (cnt + RW > 31) {
      wa01 = widenU8(wa01, a01); wa23 = widenU8(wa23, a23); a01 = zero; a23 = zero;
      wb01 = widenU8(wb01, b01); wb23 = widenU8(wb23, b23); b01 = zero; b23 = zero;
      cnt = 0;
    }
    let pa = pa0 + <usize>kh * khStepB, pb = pb0 + <usize>kh * khStepB;
    const end = pa + lastB;
    while (true) {
      let xa = v128.load64_splat(pa), xb = v128.load64_splat(pb);
      const last = pa == end;
      if (last) { xa = v128.and(xa, m); xb = v128.and(xb, m); }
      const w01 = v128.load(pw), w23 = v128.load(pw, 16);
      a01 = i8x16.add(a01, i8x16.popcnt(v128.xor(w01, xa)));
      a23 = i8x16.add(a23, i8x16.popcnt(v128.xor(w23, xa)));
      b01 = i8x16.add(b01, i8x16.popcnt(v128.xor(w01, xb)));
      b23 = i8x16.add(b23, i8x16.popcnt(v128.xor(w23, xb)));
      pw += 32;
      if (last) break;
      pa += 8; pb += 8;
    }
    cnt += RW;
  }
  wa01 = widenU8(wa01, a01); wa23 = widenU8(wa23, a23);
  wb01 = widenU8(wb01, b01); wb23 = widenU8(wb23, b23);
  v128.store(pca, pairSums(wa01, wa23));
  v128.store(pcb, pairSums(wb01, wb23));
}
