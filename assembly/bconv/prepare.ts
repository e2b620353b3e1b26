// Load-time preparation for the binary conv (once per layer, never per inference): weight
// re-layout, the zero-padding correction table (docs/KERNELS.md "Padding modes"), scratch sizes.
import { wordsFor } from '../bits';
import { validHi, validLo } from '../window';
import { convParams } from '../abi';
import { bconvDense, bconvPrepareDenseWeights } from './dense';

export const OB: i32 = 4; // output channels per register block

@inline export function blockedO(O: i32): i32 {
  return (O + OB - 1) & ~(OB - 1);
}

export function bconvWeightsBytes(p: usize): i32 {
  const prm = convParams(p);
  return blockedO(prm.o) * prm.kh * prm.kw * wordsFor(prm.c) * 8;
}

/**
 * wPacked: OHWI packed [O][KH][KW][CW] -> out: [ceil(O/4)][KH][KW*CW][4] (zero-filled tail): 4
 * output channels' same word adjacent, so one v128 load feeds 2 channels and scalar loads share one base.
 */
export function bconvPrepareWeights(p: usize, wPacked: usize, out: usize): void {
  const prm = convParams(p);
  if (bconvDense(prm)) { bconvPrepareDenseWeights(prm, wPacked, out); return; }
  const O = prm.o, KH = prm.kh, KW = prm.kw, CW = wordsFor(prm.c);
  const O4 = blockedO(O);
  const row = KH * KW * CW; // words per output channel
  for (let o = 0; o < O4; o++) {
    const ob = o >> 2, i = o & 3;
    for (let k = 0; k < row; k++) {
      const v: u64 = o < O ? load<u64>(wPacked + (<usize>(o * row + k) << 3)) : 0;
      store<u64>(out + (<usize>(((ob * row + k) << 2) + i) << 3), v);
    }
  }
}

/** Bytes of the padded input copy at the start of the scratch (0 when no padding). */
@inline export function bconvPadBytes(p: usize): i32 {
  const prm = convParams(p);
  const PT = prm.pt, PL = prm.pl, PB = prm.pb, PR = prm.pr;
  if ((PT | PL | PB | PR) == 0) return 0;
  const b = prm.n * (prm.h + PT + PB) * (prm.w + PL + PR) * wordsFor(prm.c) * 8;
  return (b + 15) & ~15;
}

/** i32 popcounts one output tile may hold (16 KiB: stays in L1 with the input rows). */
const TILE_BUDGET: i32 = 4096;

/** Output pixels per tile: even, >= 2, at most OW rounded up to even. */
@inline export function bconvTile(OW: i32, O4: i32): i32 {
  const t = max(2, (TILE_BUDGET / O4) & ~1);
  return min(t, (OW + 1) & ~1);
}

/** Bytes of one thread's tile popcounts, i32 [tile][O4] (a multiple of 16). */
export function bconvTileBytes(p: usize): i32 {
  const prm = convParams(p);
  const O4 = blockedO(prm.o);
  return bconvTile(prm.ow, O4) * O4 * 4;
}

/** Scratch bytes: padded input copy (16-aligned) + the tile's popcounts i32 [tile][O4]. */
export function bconvScratchBytes(p: usize): i32 {
  return bconvPadBytes(p) + bconvTileBytes(p);
}

// --- zero-padding correction -------------------------------------------------------------
@inline function isInterior(o: i32, S: i32, P: i32, D: i32, K: i32, L: i32): bool {
  return validLo(o, S, P, D, K, L) == 0 && validHi(o, S, P, D, K, L) == K;
}
function countBorder(n: i32, S: i32, P: i32, D: i32, K: i32, L: i32): i32 {
  let c = 0;
  for (let o = 0; o < n; o++) if (!isInterior(o, S, P, D, K, L)) c++;
  return c;
}

// Layout (i32): [nRC, nCC, rowClass[OH], colClass[OW], table[nRC][nCC][O4]]
// class 0 = interior along that axis; border indices get 1, 2, ... in order.
export function bconvCorrectionBytes(p: usize): i32 {
  const prm = convParams(p);
  const OH = prm.oh, OW = prm.ow;
  const nRC = 1 + countBorder(OH, prm.sh, prm.pt, prm.dh, prm.kh, prm.h);
  const nCC = 1 + countBorder(OW, prm.sw, prm.pl, prm.dw, prm.kw, prm.w);
  return (2 + OH + OW + nRC * nCC * blockedO(prm.o)) * 4;
}

/**
 * table[rc][cc][o] = sum over the out-of-bounds taps (kh, kw) of that position class of
 * S(o, kh, kw) = sum_c w_c (±1) = C - 2*popcount(w row). The kernel computes the +1-padded
 * dot and subtracts this for zero padding (padded +1 taps contributed exactly S).
 */
export function bconvPrepareCorrection(p: usize, wPacked: usize, corr: usize): void {
  const prm = convParams(p);
  const H = prm.h, W = prm.w, C = prm.c, O = prm.o;
  const KH = prm.kh, KW = prm.kw, SH = prm.sh, SW = prm.sw;
  const DH = prm.dh, DW = prm.dw, PT = prm.pt, PL = prm.pl;
  const OH = prm.oh, OW = prm.ow;
  const CW = wordsFor(C), O4 = blockedO(O);
  const nRC = 1 + countBorder(OH, SH, PT, DH, KH, H);
  const nCC = 1 + countBorder(OW, SW, PL, DW, KW, W);
  store<i32>(corr, nRC);
  store<i32>(corr, nCC, 4);
  const rowCls = corr + 8, colCls = rowCls + (<usize>OH << 2);
  const table = colCls + (<usize>OW << 2);
  let r = 0;
  for (let oh = 0; oh < OH; oh++) store<i32>(rowCls + (<usize>oh << 2), isInterior(oh, SH, PT, DH, KH, H) ? 0 : ++r);
  let c = 0;
  for (let ow = 0; ow < OW; ow++) store<i32>(colCls + (<usize>ow << 2), isInterior(ow, SW, PL, DW, KW, W) ? 0 : ++c);
  memory.fill(table, 0, <usize>(nRC * nCC * O4) << 2);
  // one representative output index per class (the first with that class)
  for (let oh = -1; oh < OH; oh++) {
    // oh == -1 stands for the interior row class 0 (all rows valid)
    const rc = oh < 0 ? 0 : load<i32>(rowCls + (<usize>oh << 2));
    if (oh >= 0 && rc == 0) continue;
    const kh0 = oh < 0 ? 0 : validLo(oh, SH, PT, DH, KH, H);
    const kh1 = oh < 0 ? KH : validHi(oh, SH, PT, DH, KH, H);
    for (let ow = -1; ow < OW; ow++) {
      const cc = ow < 0 ? 0 : load<i32>(colCls + (<usize>ow << 2));
      if (ow >= 0 && cc == 0) continue;
      if (rc == 0 && cc == 0) continue;
      const kw0 = ow < 0 ? 0 : validLo(ow, SW, PL, DW, KW, W);
      const kw1 = ow < 0 ? KW : validHi(ow, SW, PL, DW, KW, W);
      const t = table + (<usize>((rc * nCC + cc) * O4) << 2);
      for (let o = 0; o < O; o++) {
        let s = 0;
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) {
            if (kh >= kh0 && kh < kh1 && kw >= kw0 && kw < kw1) continue; // in bounds
            const wr = wPacked + (<usize>(((o * KH + kh) * KW + kw) * CW) << 3);
            let pc = 0;
            for (let j = 0; j < CW; j++) pc += <i32>popcnt<u64>(load<u64>(wr + (<usize>j << 3)));
            s += C - 2 * pc;
          }
        }
        store<i32>(t + (<usize>o << 2), s);
      }
    }
  }
}
