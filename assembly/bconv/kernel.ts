// Binary conv2d, direct and register-blocked: 4 output channels x 2 output pixels per pass.
// Input is first copied into a padded scratch (pad words per mode, bits.ts), so every pixel
// runs the same bounds-free loop; zero padding = +1 padding minus the per-class correction
// table (prepare.ts), applied once per output pixel in transform.ts, never per tap.
// When DW == 1 the KW taps of one kernel row are KW*CW contiguous words in both the padded
// input and the prepared weights, so the inner loop runs over that whole segment.
import { wordsFor, lastWordMask, PAD_MINUS_ONE, PAD_ZERO } from '../bits';
import {
  geti, P_N, P_H, P_W, P_C, P_O, P_KH, P_KW, P_SH, P_SW, P_DH, P_DW, P_PT, P_PL, P_PB, P_PR,
  P_OH, P_OW, P_PADMODE, P_FLAGS, FLAG_PACKED,
} from '../params';
import { padCopyWords } from '../padcopy';
import { getPopcountMode, POPCOUNT_SIMD, widenU8 } from '../popcount';
import { blockedO } from './prepare';
import { setTransform, emit4 } from './transform';

function runScalar(src: usize, w: usize, Hp: i32, Wp: i32, CW: i32, N: i32, OH: i32, OW: i32,
  O4: i32, KH: i32, KW: i32, SH: i32, SW: i32, DH: i32, DW: i32): void {
  const kwN = DW == 1 ? 1 : KW;
  const seg = DW == 1 ? KW * CW : CW;
  const kwStepB = <usize>(DW * CW) << 3;
  const khStepB = <usize>(DH * Wp * CW) << 3;
  const wKhB = <usize>(KW * CW) << 5;
  const wKwB = <usize>CW << 5;
  const pxB = <usize>(SW * CW) << 3;
  const wBlockB = <usize>(KH * KW * CW) << 5;
  for (let n = 0; n < N; n++) {
    for (let ob = 0; ob < (O4 >> 2); ob++) {
      const wb = w + <usize>ob * wBlockB;
      for (let oh = 0; oh < OH; oh++) {
        const rowBase = src + (<usize>(((n * Hp + oh * SH) * Wp) * CW) << 3);
        for (let ow = 0; ow < OW; ow += 2) {
          const owB = min(ow + 1, OW - 1);
          const pa0 = rowBase + <usize>ow * pxB, pb0 = rowBase + <usize>owB * pxB;
          let a0: u64 = 0, a1: u64 = 0, a2: u64 = 0, a3: u64 = 0;
          let b0: u64 = 0, b1: u64 = 0, b2: u64 = 0, b3: u64 = 0;
          for (let kh = 0; kh < KH; kh++) {
            for (let kw = 0; kw < kwN; kw++) {
              const off = <usize>kh * khStepB + <usize>kw * kwStepB;
              let pa = pa0 + off, pb = pb0 + off;
              let pw = wb + <usize>kh * wKhB + <usize>kw * wKwB;
              for (let j = 0; j < seg; j++) {
                const xa = load<u64>(pa), xb = load<u64>(pb);
                const w0 = load<u64>(pw), w1 = load<u64>(pw, 8), w2 = load<u64>(pw, 16), w3 = load<u64>(pw, 24);
                a0 += popcnt<u64>(xa ^ w0); a1 += popcnt<u64>(xa ^ w1);
                a2 += popcnt<u64>(xa ^ w2); a3 += popcnt<u64>(xa ^ w3);
                b0 += popcnt<u64>(xb ^ w0); b1 += popcnt<u64>(xb ^ w1);
                b2 += popcnt<u64>(xb ^ w2); b3 += popcnt<u64>(xb ^ w3);
                pa += 8; pb += 8; pw += 32;
              }
            }
          }
          const o0 = ob << 2;
          emit4(n, oh, ow, o0, <i32>a0, <i32>a1, <i32>a2, <i32>a3);
          if (owB != ow) emit4(n, oh, owB, o0, <i32>b0, <i32>b1, <i32>b2, <i32>b3);
        }
      }
    }
  }
}

@inline function lanePair(v: v128, hi: bool): i32 {
  return hi ? i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3)
    : i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1);
}

function runSimd(src: usize, w: usize, Hp: i32, Wp: i32, CW: i32, N: i32, OH: i32, OW: i32,
  O4: i32, KH: i32, KW: i32, SH: i32, SW: i32, DH: i32, DW: i32): void {
  const kwN = DW == 1 ? 1 : KW;
  const seg = DW == 1 ? KW * CW : CW;
  const kwStepB = <usize>(DW * CW) << 3;
  const khStepB = <usize>(DH * Wp * CW) << 3;
  const wKhB = <usize>(KW * CW) << 5;
  const wKwB = <usize>CW << 5;
  const pxB = <usize>(SW * CW) << 3;
  const wBlockB = <usize>(KH * KW * CW) << 5;
  const zero = i32x4.splat(0);
  for (let n = 0; n < N; n++) {
    for (let ob = 0; ob < (O4 >> 2); ob++) {
      const wb = w + <usize>ob * wBlockB;
      for (let oh = 0; oh < OH; oh++) {
        const rowBase = src + (<usize>(((n * Hp + oh * SH) * Wp) * CW) << 3);
        for (let ow = 0; ow < OW; ow += 2) {
          const owB = min(ow + 1, OW - 1);
          const pa0 = rowBase + <usize>ow * pxB, pb0 = rowBase + <usize>owB * pxB;
          // u8 lane counters (<= 31 steps) and u32 wide sums; v128 lanes = channels (0,1),(2,3)
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
                  const xa = i64x2.splat(load<u64>(pa)), xb = i64x2.splat(load<u64>(pb));
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
          const o0 = ob << 2;
          emit4(n, oh, ow, o0, lanePair(wa01, false), lanePair(wa01, true), lanePair(wa23, false), lanePair(wa23, true));
          if (owB != ow) {
            emit4(n, oh, owB, o0, lanePair(wb01, false), lanePair(wb01, true), lanePair(wb23, false), lanePair(wb23, true));
          }
        }
      }
    }
  }
}

/**
 * x: packed NHWC input; w: weights from bconvPrepareWeights; out: f32 NHWC [N,OH,OW,O] or
 * packed NHWC [N,OH,OW,ceil(O/64)] (flags & FLAG_PACKED); mul/bias: f32[O] (0 = 1 / 0);
 * kmap: f32 [N,OH,OW] (0 = none); thr/dir: i32[O] (packed output only); corr: table from
 * bconvPrepareCorrection (zero padding only); scratch: bconvScratchBytes(p) bytes.
 */
export function bconv2d(p: usize, x: usize, w: usize, out: usize, mul: usize, bias: usize,
  kmap: usize, thr: usize, dir: usize, corr: usize, scratch: usize): void {
  const N = geti(p, P_N), H = geti(p, P_H), W = geti(p, P_W), C = geti(p, P_C), O = geti(p, P_O);
  const KH = geti(p, P_KH), KW = geti(p, P_KW), SH = geti(p, P_SH), SW = geti(p, P_SW);
  const DH = geti(p, P_DH), DW = geti(p, P_DW);
  const PT = geti(p, P_PT), PL = geti(p, P_PL), PB = geti(p, P_PB), PR = geti(p, P_PR);
  const OH = geti(p, P_OH), OW = geti(p, P_OW), padMode = geti(p, P_PADMODE), flags = geti(p, P_FLAGS);
  const CW = wordsFor(C), O4 = blockedO(O), OCW = wordsFor(O);
  let src = x, Hp = H, Wp = W;
  const padded = (PT | PL | PB | PR) != 0;
  if (padded) {
    const minus = padMode == PAD_MINUS_ONE;
    padCopyWords(x, scratch, N, H, W, CW, PT, PL, PB, PR, minus ? <u64>-1 : 0, minus ? lastWordMask(C) : 0);
    src = scratch; Hp = H + PT + PB; Wp = W + PL + PR;
  }
  if (flags & FLAG_PACKED) memory.fill(out, 0, <usize>(N * OH * OW * OCW) << 3);
  setTransform(out, mul, bias, kmap, thr, dir, O, O4, OCW, OH, OW, KH * KW * C, flags,
    padded && padMode == PAD_ZERO ? corr : 0);
  if (getPopcountMode() == POPCOUNT_SIMD) {
    runSimd(src, w, Hp, Wp, CW, N, OH, OW, O4, KH, KW, SH, SW, DH, DW);
  } else {
    runScalar(src, w, Hp, Wp, CW, N, OH, OW, O4, KH, KW, SH, SW, DH, DW);
  }
}
