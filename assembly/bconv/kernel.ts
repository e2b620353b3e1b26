// Binary conv2d, direct. Input is first copied into a padded scratch (pad words per mode,
// bits.ts), so every pixel runs the same bounds-free loop; zero padding = +1 padding minus the
// per-class correction table (prepare.ts), applied per output pixel in transform.ts, never per
// tap. When DW == 1 the KW taps of one kernel row are KW*CW contiguous words in both the padded
// input and the prepared weights ([O/4][KH][KW*CW][4]), so the inner loop runs over that run.
//
// Output pixels go in tiles (a run of one output row, bconvTile). The popcount loops write the
// tile's raw XOR popcounts into an i32 [tile][O4] buffer in the scratch, then transform.ts turns
// the whole tile into outputs vectorised over channels (the old per-pixel scalar transform
// cost as much as the popcounts at c64).
//
// Scalar strategy: 4 output channels x 1 pixel per pass (4 accumulators). Wider register
// blocks (4x2: 8 accumulators) made TurboFan spill: it schedules all loads of a straight-line
// body first, so everything beyond ~12 live values goes to the stack. Three loop shapes:
//  - KH == 3, run == 3 words (c <= 64 3x3): 9 words straight-line per pass, pixel-outer
//    (all weights stay in L1; a moving weight pointer stops TurboFan hoisting the 36 weight
//    loads out of the loop), with the 4 running sums stored after every word: the stores
//    are schedule barriers that keep each word's loads next to their use (0.88 -> 0.74 ms).
//  - KH == 1 (1x1 and 1xK): pixel-outer, one run per pass.
//  - otherwise ob-outer: the 4-channel weight block stays in L1 across the tile's pixels.
// XOR operands are written load-first (`w ^ x`) so the single-use load is the destroyed x86
// operand and the shared x needs no register copy.
// SIMD strategy (kept, selectable, tested): 4 channels x 2 pixels, i8x16.popcnt with u8 lanes.
// Hybrid strategy (hybrid.ts): 4 channels x 2 pixels, one pixel by scalar popcounts and one by
// SIMD byte counts, in each of the three loop shapes. The strategy is the layer's own (params
// slot 19) when set, else the global mode (popcount.ts).
import { wordsFor, lastWordMask, PAD_MINUS_ONE, PAD_ZERO } from '../bits';
import {
  geti, P_N, P_H, P_W, P_C, P_O, P_KH, P_KW, P_SH, P_SW, P_DH, P_DW, P_PT, P_PL, P_PB, P_PR,
  P_OH, P_OW, P_PADMODE, P_FLAGS, P_POPCOUNT,
} from '../params';
import { padCopyWords } from '../padcopy';
import { getPopcountMode, POPCOUNT_SIMD, POPCOUNT_HYBRID, widenU8 } from '../popcount';
import { pairHybrid, pairHybrid33, pairHybridRun, pairHybridShort } from './hybrid';
import { blockedO, bconvTile, bconvTileBytes, bconvPadBytes } from './prepare';
import { setTransform, transformTile } from './transform';

// Loop geometry shared by both strategies (set once per call; read into locals per tile).
let gKH: i32 = 0;
let gSeg: i32 = 0;      // words per inner run: KW*CW when DW == 1, else CW
let gKwN: i32 = 0;      // inner runs per kernel row: 1 when DW == 1, else KW
let gKhStepB: usize = 0;
let gKwStepB: usize = 0;
let gWKhB: usize = 0;
let gWKwB: usize = 0;
let gPxB: usize = 0;
let gWBlockB: usize = 0;

/** Scalar popcounts of one pixel (pa0) x the 4 channels at wb -> pca[0..3]. */
@inline function oneScalar(pa0: usize, wb: usize, pca: usize,
  KH: i32, seg: i32, kwN: i32, khStepB: usize, kwStepB: usize, wKhB: usize, wKwB: usize): void {
  let a0: u64 = 0, a1: u64 = 0, a2: u64 = 0, a3: u64 = 0;
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < kwN; kw++) {
      let pa = pa0 + <usize>kh * khStepB + <usize>kw * kwStepB;
      let pw = wb + <usize>kh * wKhB + <usize>kw * wKwB;
      const end = pa + (<usize>seg << 3);
      do {
        const xa = load<u64>(pa);
        a0 += popcnt<u64>(load<u64>(pw) ^ xa); a1 += popcnt<u64>(load<u64>(pw, 8) ^ xa);
        a2 += popcnt<u64>(load<u64>(pw, 16) ^ xa); a3 += popcnt<u64>(load<u64>(pw, 24) ^ xa);
        pa += 8; pw += 32;
      } while (pa < end);
    }
  }
  store<i32>(pca, <i32>a0); store<i32>(pca, <i32>a1, 4); store<i32>(pca, <i32>a2, 8); store<i32>(pca, <i32>a3, 12);
}

/** KH == 3 and seg == 3 (c <= 64 3x3, DW == 1): straight-line 9 words, constant offsets. */
/** Stores the 4 running sums; mid-kernel it is a schedule barrier (see oneScalar33). */
@inline function st4(pc: usize, a0: u64, a1: u64, a2: u64, a3: u64): void {
  store<i32>(pc, <i32>a0); store<i32>(pc, <i32>a1, 4); store<i32>(pc, <i32>a2, 8); store<i32>(pc, <i32>a3, 12);
}

@inline function oneScalar33(pa0: usize, wb: usize, pca: usize, khStepB: usize): void {
  let a0: u64 = 0, a1: u64 = 0, a2: u64 = 0, a3: u64 = 0;
  let pr = pa0;
  let x = load<u64>(pr);
  a0 += popcnt<u64>(load<u64>(wb, 0) ^ x); a1 += popcnt<u64>(load<u64>(wb, 8) ^ x);
  a2 += popcnt<u64>(load<u64>(wb, 16) ^ x); a3 += popcnt<u64>(load<u64>(wb, 24) ^ x);
  st4(pca, a0, a1, a2, a3);
  x = load<u64>(pr, 8);
  a0 += popcnt<u64>(load<u64>(wb, 32) ^ x); a1 += popcnt<u64>(load<u64>(wb, 40) ^ x);
  a2 += popcnt<u64>(load<u64>(wb, 48) ^ x); a3 += popcnt<u64>(load<u64>(wb, 56) ^ x);
  st4(pca, a0, a1, a2, a3);
  x = load<u64>(pr, 16);
  a0 += popcnt<u64>(load<u64>(wb, 64) ^ x); a1 += popcnt<u64>(load<u64>(wb, 72) ^ x);
  a2 += popcnt<u64>(load<u64>(wb, 80) ^ x); a3 += popcnt<u64>(load<u64>(wb, 88) ^ x);
  st4(pca, a0, a1, a2, a3);
  pr += khStepB;
  x = load<u64>(pr);
  a0 += popcnt<u64>(load<u64>(wb, 96) ^ x); a1 += popcnt<u64>(load<u64>(wb, 104) ^ x);
  a2 += popcnt<u64>(load<u64>(wb, 112) ^ x); a3 += popcnt<u64>(load<u64>(wb, 120) ^ x);
  st4(pca, a0, a1, a2, a3);
  x = load<u64>(pr, 8);
  a0 += popcnt<u64>(load<u64>(wb, 128) ^ x); a1 += popcnt<u64>(load<u64>(wb, 136) ^ x);
  a2 += popcnt<u64>(load<u64>(wb, 144) ^ x); a3 += popcnt<u64>(load<u64>(wb, 152) ^ x);
  st4(pca, a0, a1, a2, a3);
  x = load<u64>(pr, 16);
  a0 += popcnt<u64>(load<u64>(wb, 160) ^ x); a1 += popcnt<u64>(load<u64>(wb, 168) ^ x);
  a2 += popcnt<u64>(load<u64>(wb, 176) ^ x); a3 += popcnt<u64>(load<u64>(wb, 184) ^ x);
  st4(pca, a0, a1, a2, a3);
  pr += khStepB;
  x = load<u64>(pr);
  a0 += popcnt<u64>(load<u64>(wb, 192) ^ x); a1 += popcnt<u64>(load<u64>(wb, 200) ^ x);
  a2 += popcnt<u64>(load<u64>(wb, 208) ^ x); a3 += popcnt<u64>(load<u64>(wb, 216) ^ x);
  st4(pca, a0, a1, a2, a3);
  x = load<u64>(pr, 8);
  a0 += popcnt<u64>(load<u64>(wb, 224) ^ x); a1 += popcnt<u64>(load<u64>(wb, 232) ^ x);
  a2 += popcnt<u64>(load<u64>(wb, 240) ^ x); a3 += popcnt<u64>(load<u64>(wb, 248) ^ x);
  st4(pca, a0, a1, a2, a3);
  x = load<u64>(pr, 16);
  a0 += popcnt<u64>(load<u64>(wb, 256) ^ x); a1 += popcnt<u64>(load<u64>(wb, 264) ^ x);
  a2 += popcnt<u64>(load<u64>(wb, 272) ^ x); a3 += popcnt<u64>(load<u64>(wb, 280) ^ x);
  st4(pca, a0, a1, a2, a3);
  store<i32>(pca, <i32>a0); store<i32>(pca, <i32>a1, 4); store<i32>(pca, <i32>a2, 8); store<i32>(pca, <i32>a3, 12);
}

/** KH == 1, one inner run (1xK convs with DW == 1, incl. 1x1): seg words, 4 channels. */
@inline function oneScalarRun(pa0: usize, wb: usize, pca: usize, seg: i32): void {
  let a0: u64 = 0, a1: u64 = 0, a2: u64 = 0, a3: u64 = 0;
  let pa = pa0, pw = wb;
  const end = pa0 + (<usize>seg << 3);
  do {
    const x = load<u64>(pa);
    a0 += popcnt<u64>(load<u64>(pw) ^ x); a1 += popcnt<u64>(load<u64>(pw, 8) ^ x);
    a2 += popcnt<u64>(load<u64>(pw, 16) ^ x); a3 += popcnt<u64>(load<u64>(pw, 24) ^ x);
    pa += 8; pw += 32;
  } while (pa < end);
  st4(pca, a0, a1, a2, a3);
}

/** Sum of i32 lane pairs: (a.0+a.1, a.2+a.3, b.0+b.1, b.2+b.3). */
@inline function pairSums(a: v128, b: v128): v128 {
  return i32x4.add(v128.shuffle<i32>(a, b, 0, 2, 4, 6), v128.shuffle<i32>(a, b, 1, 3, 5, 7));
}

/** SIMD popcounts (i8x16.popcnt, u8 lanes widened every <= 31 steps); pixel pair (pa0, pb0) x the 4 channels at wb -> pca[0..3], pcb[0..3]. */
@inline function pairSimd(pa0: usize, pb0: usize, wb: usize, pca: usize, pcb: usize,
  KH: i32, seg: i32, kwN: i32, khStepB: usize, kwStepB: usize, wKhB: usize, wKwB: usize): void {
  const zero = i32x4.splat(0);
  // v128 lanes = channels (0,1), (2,3)
  let a01 = zero, a23 = zero, b01 = zero, b23 = zero;
  let wa01 = zero, wa23 = zero, wb01 = zero, wb23 = zero;
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
          wa01 = widenU8(wa01, a01); wa23 = widenU8(wa23, a23);
          wb01 = widenU8(wb01, b01); wb23 = widenU8(wb23, b23);
          a01 = zero; a23 = zero; b01 = zero; b23 = zero;
          cnt = 0;
          continue;
        }
        for (let t = 0; t < take; t++) {
          const xa = v128.load64_splat(pa), xb = v128.load64_splat(pb);
          const w01 = v128.load(pw), w23 = v128.load(pw, 16);
          a01 = i8x16.add(a01, i8x16.popcnt(v128.xor(xa, w01)));
          a23 = i8x16.add(a23, i8x16.popcnt(v128.xor(xa, w23)));
          b01 = i8x16.add(b01, i8x16.popcnt(v128.xor(xb, w01)));
          b23 = i8x16.add(b23, i8x16.popcnt(v128.xor(xb, w23)));
          pa += 8; pb += 8; pw += 32;
        }
        j += take; cnt += take;
      }
    }
  }
  wa01 = widenU8(wa01, a01); wa23 = widenU8(wa23, a23);
  wb01 = widenU8(wb01, b01); wb23 = widenU8(wb23, b23);
  v128.store(pca, pairSums(wa01, wa23));
  v128.store(pcb, pairSums(wb01, wb23));
}

/** Output pixels [px0, px1) of the flattened [N, OH, OW], whole tiles within each output row. */
function runTiles(src: usize, w: usize, pcBuf: usize, Hp: i32, Wp: i32, CW: i32, OH: i32, OW: i32,
  O4: i32, SH: i32, mode: i32, px0: i32, px1: i32): void {
  const simd = mode == POPCOUNT_SIMD, hybrid = mode == POPCOUNT_HYBRID;
  const T = bconvTile(OW, O4);
  const pxB = gPxB, wBlockB = gWBlockB;
  const KH = gKH, seg = gSeg, kwN = gKwN, khStepB = gKhStepB, kwStepB = gKwStepB, wKhB = gWKhB, wKwB = gWKwB;
  const pcPx = <usize>O4 << 2; // bytes per pixel in the tile buffer
  const is33 = KH == 3 && seg == 3 && kwN == 1;
  const is1 = KH == 1 && kwN == 1 && seg <= 8;
  // n and oh loops as in the whole-image kernel (a flat row loop measured up to 2 % slower)
  const OHW = OH * OW;
  for (let n = px0 / OHW; n * OHW < px1; n++) {
    const q0 = max(0, px0 - n * OHW), q1 = min(OHW, px1 - n * OHW);
    for (let oh = q0 / OW; oh * OW < q1; oh++) {
      const rowBase = src + (<usize>(((n * Hp + oh * SH) * Wp) * CW) << 3);
      const owEnd = min(OW, q1 - oh * OW);
      for (let ow0 = max(0, q0 - oh * OW); ow0 < owEnd; ow0 += T) {
        const tn = min(T, owEnd - ow0);
        const base0 = rowBase + <usize>ow0 * pxB;
        if (hybrid) {
          if (is1 || is33) {
            // pixel-outer, pixel pairs (an odd tile's last pixel pairs with itself)
            for (let i = 0; i < tn; i += 2) {
              const iB = min(i + 1, tn - 1);
              const pa0 = base0 + <usize>i * pxB, pb0 = base0 + <usize>iB * pxB;
              let pca = pcBuf + <usize>i * pcPx, pcb = pcBuf + <usize>iB * pcPx;
              let wb = w;
              const wEnd = w + <usize>(O4 >> 2) * wBlockB;
              if (is1) {
                do {
                  pairHybridRun(pa0, pb0, wb, pca, pcb, seg);
                  wb += wBlockB; pca += 16; pcb += 16;
                } while (wb < wEnd);
              } else {
                do {
                  pairHybrid33(pa0, pb0, wb, pca, pcb, khStepB);
                  wb += wBlockB; pca += 16; pcb += 16;
                } while (wb < wEnd);
              }
            }
          } else if (seg <= 31) {
            // runs of <= 31 words (c <= 640 at 3x3): byte lanes widened between runs
            for (let ob = 0; ob < (O4 >> 2); ob++) {
              const wb = w + <usize>ob * wBlockB;
              const pc0 = pcBuf + (<usize>ob << 4);
              for (let i = 0; i < tn; i += 2) {
                const iB = min(i + 1, tn - 1);
                pairHybridShort(base0 + <usize>i * pxB, base0 + <usize>iB * pxB, wb, pc0 + <usize>i * pcPx, pc0 + <usize>iB * pcPx,
                  KH, seg, kwN, khStepB, kwStepB, wKhB, wKwB);
              }
            }
          } else {
            for (let ob = 0; ob < (O4 >> 2); ob++) {
              const wb = w + <usize>ob * wBlockB;
              const pc0 = pcBuf + (<usize>ob << 4);
              for (let i = 0; i < tn; i += 2) {
                const iB = min(i + 1, tn - 1);
                pairHybrid(base0 + <usize>i * pxB, base0 + <usize>iB * pxB, wb, pc0 + <usize>i * pcPx, pc0 + <usize>iB * pcPx,
                  KH, seg, kwN, khStepB, kwStepB, wKhB, wKwB);
              }
            }
          }
        } else if (is1 && !simd) {
          for (let i = 0; i < tn; i++) {
            const pa0 = base0 + <usize>i * pxB;
            let pc = pcBuf + <usize>i * pcPx;
            let wb = w;
            const wEnd = w + <usize>(O4 >> 2) * wBlockB;
            do {
              oneScalarRun(pa0, wb, pc, seg);
              wb += wBlockB; pc += 16;
            } while (wb < wEnd);
          }
        } else if (is33 && !simd) {
          // pixel-outer: all weights (O4 x 9 words) stay in L1, and a weight pointer that moves
          // every iteration keeps TurboFan from hoisting (and spilling) the 36 weight loads
          for (let i = 0; i < tn; i++) {
            const pa0 = base0 + <usize>i * pxB;
            let pc = pcBuf + <usize>i * pcPx;
            let wb = w;
            const wEnd = w + <usize>(O4 >> 2) * wBlockB;
            do {
              oneScalar33(pa0, wb, pc, khStepB);
              wb += wBlockB; pc += 16;
            } while (wb < wEnd);
          }
        } else if (!simd) {
          // ob-outer: the 4-channel weight block stays in L1 across the tile's pixels
          for (let ob = 0; ob < (O4 >> 2); ob++) {
            const wb = w + <usize>ob * wBlockB;
            const pc0 = pcBuf + (<usize>ob << 4);
            for (let i = 0; i < tn; i++) {
              oneScalar(base0 + <usize>i * pxB, wb, pc0 + <usize>i * pcPx, KH, seg, kwN, khStepB, kwStepB, wKhB, wKwB);
            }
          }
        } else {
          for (let ob = 0; ob < (O4 >> 2); ob++) {
            const wb = w + <usize>ob * wBlockB;
            const pc0 = pcBuf + (<usize>ob << 4);
            for (let i = 0; i < tn; i += 2) {
              const iB = min(i + 1, tn - 1);
              const pa0 = base0 + <usize>i * pxB, pb0 = base0 + <usize>iB * pxB;
              const pca = pc0 + <usize>i * pcPx, pcb = pc0 + <usize>iB * pcPx;
              pairSimd(pa0, pb0, wb, pca, pcb, KH, seg, kwN, khStepB, kwStepB, wKhB, wKwB);
            }
          }
        }
        transformTile(pcBuf, n, oh, ow0, tn);
      }
    }
  }
}

/** Copies x into the padded scratch when the conv has pads (bconv2dRange reads it there). */
export function bconvPad(p: usize, x: usize, scratch: usize): void {
  const PT = geti(p, P_PT), PL = geti(p, P_PL), PB = geti(p, P_PB), PR = geti(p, P_PR);
  if ((PT | PL | PB | PR) == 0) return;
  const C = geti(p, P_C);
  const minus = geti(p, P_PADMODE) == PAD_MINUS_ONE;
  padCopyWords(x, scratch, geti(p, P_N), geti(p, P_H), geti(p, P_W), wordsFor(C), PT, PL, PB, PR,
    minus ? <u64>-1 : 0, minus ? lastWordMask(C) : 0);
}

/**
 * Output pixels [px0, px1) of the flattened [N, OH, OW] (a thread's share; bconvPad ran
 * before). Thread t keeps its tile popcounts at scratch + pad bytes + t * bconvTileBytes(p).
 * Every output pixel is computed by the same code whatever the split, so any split is
 * bit-identical to bconv2d.
 */
export function bconv2dRange(px0: i32, px1: i32, t: i32, p: usize, x: usize, w: usize, out: usize, mul: usize,
  bias: usize, kmap: usize, thr: usize, dir: usize, corr: usize, scratch: usize): void {
  const H = geti(p, P_H), W = geti(p, P_W), C = geti(p, P_C), O = geti(p, P_O);
  const KH = geti(p, P_KH), KW = geti(p, P_KW), SH = geti(p, P_SH), SW = geti(p, P_SW);
  const DH = geti(p, P_DH), DW = geti(p, P_DW);
  const PT = geti(p, P_PT), PL = geti(p, P_PL), PB = geti(p, P_PB), PR = geti(p, P_PR);
  const OH = geti(p, P_OH), OW = geti(p, P_OW), padMode = geti(p, P_PADMODE), flags = geti(p, P_FLAGS);
  const CW = wordsFor(C), O4 = blockedO(O), OCW = wordsFor(O);
  let src = x, Hp = H, Wp = W;
  const padded = (PT | PL | PB | PR) != 0;
  if (padded) {
    src = scratch; Hp = H + PT + PB; Wp = W + PL + PR;
  }
  setTransform(out, mul, bias, kmap, thr, dir, O, O4, OCW, OH, OW, KH * KW * C, flags,
    padded && padMode == PAD_ZERO ? corr : 0);
  gKH = KH;
  gKwN = DW == 1 ? 1 : KW;
  gSeg = DW == 1 ? KW * CW : CW;
  gKwStepB = <usize>(DW * CW) << 3;
  gKhStepB = <usize>(DH * Wp * CW) << 3;
  gWKhB = <usize>(KW * CW) << 5;
  gWKwB = <usize>CW << 5;
  gPxB = <usize>(SW * CW) << 3;
  gWBlockB = <usize>(KH * KW * CW) << 5;
  const pcBuf = scratch + bconvPadBytes(p) + <usize>t * <usize>bconvTileBytes(p);
  const layerMode = geti(p, P_POPCOUNT);
  runTiles(src, w, pcBuf, Hp, Wp, CW, OH, OW, O4, SH, layerMode > 0 ? layerMode - 1 : getPopcountMode(), px0, px1);
}

/**
 * x: packed NHWC input; w: weights from bconvPrepareWeights; out: f32 NHWC [N,OH,OW,O] or
 * packed NHWC [N,OH,OW,ceil(O/64)] (flags & FLAG_PACKED); mul/bias: f32[O] (0 = 1 / 0);
 * kmap: f32 [N,OH,OW] (0 = none); thr/dir: i32[O] (packed output only); corr: table from
 * bconvPrepareCorrection (zero padding only); scratch: bconvScratchBytes(p) bytes.
 */
export function bconv2d(p: usize, x: usize, w: usize, out: usize, mul: usize, bias: usize,
  kmap: usize, thr: usize, dir: usize, corr: usize, scratch: usize): void {
  bconvPad(p, x, scratch);
  bconv2dRange(0, geti(p, P_N) * geti(p, P_OH) * geti(p, P_OW), 0, p, x, w, out, mul, bias, kmap, thr, dir, corr, scratch);
}
