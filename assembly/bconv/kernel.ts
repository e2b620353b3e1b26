// Binary conv2d, direct, over a padded input copy (docs/KERNELS.md "Padding modes", "Kernel
// design notes"); popcounts per tile here, the output transform in transform.ts.
import { wordsFor, lastWordMask } from '../bits';
import { ConvParams, OutputTransform, convParams, outputTransform, PAD_MINUS_ONE, PAD_ZERO, POPCOUNT_SIMD, POPCOUNT_HYBRID } from '../abi';
import { padCopyWords } from '../padcopy';
import { getPopcountMode, pairSums, st4, widenU8 } from '../popcount';
import { pairHybrid, pairHybrid33, pairHybridRun, pairHybridShort } from './hybrid';
import { blockedO, bconvTile, bconvTileBytes, bconvPadBytes } from './prepare';
import { transformTile } from './transform';
import { bconvDense, bconvPadDense, denseRowWords, denseTailMask, oneDense, pairDenseHybrid, pairDenseSimd } from './dense';

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
  st4(pca, a0, a1, a2, a3);
}

/**
 * KH == 3 and seg == 3 (c <= 64 3x3, DW == 1): straight-line 9 words, constant offsets. The 4
 * running sums are stored after every word: the stores are schedule barriers that keep each
 * word's loads next to their use (measured faster: bench/results/code-notes.md).
 */
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

/**
 * Output pixels [px0, px1) of the flattened [N, OH, OW], whole tiles within each output row.
 * Strategy: the layer's own (ConvParams.popcount) when set, else the global mode (popcount.ts).
 * Scalar: 4 output channels x 1 pixel per pass (wider blocks made TurboFan spill); SIMD and
 * hybrid (hybrid.ts): 4 channels x 2 pixels. Loop shapes: KH == 3 with a 3-word run and KH == 1
 * go pixel-outer, the rest ob-outer (the 4-channel weight block stays in L1 across the tile).
 * XORs are written load-first (`w ^ x`): the single-use load is the destroyed x86 operand.
 */
function runTiles(p: ConvParams, tr: OutputTransform, src: usize, w: usize, out: usize, corr: usize, pcBuf: usize,
  Hp: i32, Wp: i32, mode: i32, px0: i32, px1: i32): void {
  const simd = mode == POPCOUNT_SIMD, hybrid = mode == POPCOUNT_HYBRID;
  const KH = p.kh, KW = p.kw, SH = p.sh, DH = p.dh, DW = p.dw, OH = p.oh, OW = p.ow;
  const CW = wordsFor(p.c), O4 = blockedO(p.o);
  const T = bconvTile(OW, O4);
  // DW == 1: one run of KW*CW words per kernel row; else KW runs of CW words
  const kwN = DW == 1 ? 1 : KW;
  const seg = DW == 1 ? KW * CW : CW;
  // dense.ts: pixels of C/8 bytes in the padded copy, kernel rows of RW words
  const dense = bconvDense(p);
  const pixB = dense ? <usize>(p.c >> 3) : <usize>CW << 3;
  const RW = denseRowWords(p), mask = denseTailMask(p);
  const kwStepB = <usize>(DW * CW) << 3;
  const khStepB = <usize>(DH * Wp) * pixB;
  const wKhB = <usize>(KW * CW) << 5;
  const wKwB = <usize>CW << 5;
  const pxB = <usize>p.sw * pixB;
  const wBlockB = dense ? <usize>(KH * RW) << 5 : <usize>(KH * KW * CW) << 5;
  const pcPx = <usize>O4 << 2; // bytes per pixel in the tile buffer
  const is33 = KH == 3 && seg == 3 && kwN == 1;
  const is1 = KH == 1 && kwN == 1 && seg <= 8;
  // n and oh loops as in the whole-image kernel (a flat row loop measured slower: bench/results/code-notes.md)
  const OHW = OH * OW;
  for (let n = px0 / OHW; n * OHW < px1; n++) {
    const q0 = max(0, px0 - n * OHW), q1 = min(OHW, px1 - n * OHW);
    for (let oh = q0 / OW; oh * OW < q1; oh++) {
      const rowBase = src + <usize>((n * Hp + oh * SH) * Wp) * pixB;
      const owEnd = min(OW, q1 - oh * OW);
      for (let ow0 = max(0, q0 - oh * OW); ow0 < owEnd; ow0 += T) {
        const tn = min(T, owEnd - ow0);
        const base0 = rowBase + <usize>ow0 * pxB;
        if (dense) {
          // ob-outer, as the general shape
          for (let ob = 0; ob < (O4 >> 2); ob++) {
            const wb = w + <usize>ob * wBlockB;
            const pc0 = pcBuf + (<usize>ob << 4);
            if (hybrid || simd) {
              for (let i = 0; i < tn; i += 2) {
                const iB = min(i + 1, tn - 1);
                const pa0 = base0 + <usize>i * pxB, pb0 = base0 + <usize>iB * pxB;
                const pca = pc0 + <usize>i * pcPx, pcb = pc0 + <usize>iB * pcPx;
                if (hybrid) pairDenseHybrid(pa0, pb0, wb, pca, pcb, KH, RW, khStepB, mask);
                else pairDenseSimd(pa0, pb0, wb, pca, pcb, KH, RW, khStepB, mask);
              }
            } else {
              for (let i = 0; i < tn; i++) oneDense(base0 + <usize>i * pxB, wb, pc0 + <usize>i * pcPx, KH, RW, khStepB, mask);
            }
          }
        } else if (hybrid) {
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
        transformTile(p, tr, out, corr, pcBuf, n, oh, ow0, tn);
      }
    }
  }
}

/** Copies x into the padded scratch when the conv has pads (bconv2dRange reads it there). */
export function bconvPad(p: usize, x: usize, scratch: usize): void {
  const prm = convParams(p);
  const PT = prm.pt, PL = prm.pl, PB = prm.pb, PR = prm.pr;
  if ((PT | PL | PB | PR) == 0) return;
  if (bconvDense(prm)) { bconvPadDense(prm, x, scratch); return; }
  const C = prm.c;
  const minus = prm.padMode == PAD_MINUS_ONE;
  padCopyWords(x, scratch, prm.n, prm.h, prm.w, wordsFor(C), PT, PL, PB, PR,
    minus ? <u64>-1 : 0, minus ? lastWordMask(C) : 0);
}

/**
 * Output pixels [px0, px1) of the flattened [N, OH, OW] (a thread's share; bconvPad ran
 * before). Thread t keeps its tile popcounts at scratch + pad bytes + t * bconvTileBytes(p).
 * Every output pixel is computed by the same code whatever the split, so any split is
 * bit-identical to bconv2d.
 */
export function bconv2dRange(px0: i32, px1: i32, t: i32, p: usize, x: usize, w: usize, out: usize, tr: usize,
  scratch: usize): void {
  const prm = convParams(p);
  const padded = (prm.pt | prm.pl | prm.pb | prm.pr) != 0;
  const Hp = prm.h + prm.pt + prm.pb, Wp = prm.w + prm.pl + prm.pr;
  const transform = outputTransform(tr);
  const corr = padded && prm.padMode == PAD_ZERO ? transform.corr : 0;
  const pcBuf = scratch + bconvPadBytes(p) + <usize>t * <usize>bconvTileBytes(p);
  const layerMode = prm.popcount;
  runTiles(prm, transform, padded ? scratch : x, w, out, corr, pcBuf, Hp, Wp,
    layerMode > 0 ? layerMode - 1 : getPopcountMode(), px0, px1);
}

/**
 * p: ConvParams; x: packed NHWC input; w: weights from bconvPrepareWeights; out: f32 NHWC
 * [N,OH,OW,O] or packed NHWC [N,OH,OW,ceil(O/64)] (flags & FLAG_PACKED); tr: OutputTransform;
 * scratch: bconvScratchBytes(p) bytes.
 */
export function bconv2d(p: usize, x: usize, w: usize, out: usize, tr: usize, scratch: usize): void {
  const prm = convParams(p);
  bconvPad(p, x, scratch);
  bconv2dRange(0, prm.n * prm.oh * prm.ow, 0, p, x, w, out, tr, scratch);
}
