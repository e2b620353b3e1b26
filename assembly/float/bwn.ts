// BWN conv as a binary-weight kernel: sign-split accumulation through per-pixel-block tables
// (docs/KERNELS.md "BWN table conv"). For 8 output pixels and each group of 4 input channels
// of a tap, the 16 signed sums Σ ±x_i are built once (an entry is 2 f32x4, pixels 0-3 and 4-7);
// every output channel then adds one entry per group, picked by its 4 weight bits, and is
// scaled by mul[o] once at the end. One f32x4.add covers 16 MACs (the float conv: 4 mul + 4 add)
// and the weights are 4 bits per weight. Not bit-identical to fconv2d (the sums are grouped
// differently and mul is applied last): within the float conv's tolerance.
import { wordsFor } from '../bits';
import { convParams, FLAG_RELU } from '../abi';
import { fconvPad, fconvScratchBytes, loadPartial } from './conv';

const OB: i32 = 4; // output channels per block
const HALF_B: i32 = 256; // one group's 16 entries for 4 pixels (f32x4 each)
const TABLE_B: i32 = 2 * HALF_B; // one group's table: pixels 0-3, then 4-7

@inline function groupsOf(p: usize): i32 {
  const prm = convParams(p);
  return prm.kh * prm.kw * ((prm.c + 3) >> 2);
}

@inline function blocksOf(p: usize): i32 {
  return (convParams(p).o + OB - 1) / OB;
}

/** Index bytes [ceil(O/4)][groups][4] then mul f32 [ceil(O/4)·4]. */
export function bwnWeightsBytes(p: usize): i32 {
  return blocksOf(p) * (groupsOf(p) * OB + OB * 4);
}

/** One thread's tables (an 8-pixel block's, all groups). */
export function bwnTableBytes(p: usize): i32 {
  return groupsOf(p) * TABLE_B;
}

@inline function padBytes(p: usize): i32 {
  return (fconvScratchBytes(p) + 63) & ~63;
}

/** The padded input (as fconv) rounded to 64, then thread 0's tables; thread t's follow at t·bwnTableBytes. */
export function bwnScratchBytes(p: usize): i32 {
  return padBytes(p) + bwnTableBytes(p);
}

/**
 * Packed OHWI weight bits (docs/KERNELS.md "Bit convention": 1 = -1) -> per output block and
 * group, 4 bytes (one per channel) holding the group's 4 bits << 4, the byte offset of its
 * entry in a table half; channel-padding bits are 0 (their x is 0). mul ptr 0 -> 1.
 */
export function bwnPrepare(p: usize, wPacked: usize, mul: usize, out: usize): void {
  const prm = convParams(p);
  const O = prm.o, C = prm.c, taps = prm.kh * prm.kw;
  const CW = wordsFor(C), CG = (C + 3) >> 2, G = taps * CG, nB = blocksOf(p);
  for (let o = 0; o < nB * OB; o++) {
    const blk = out + <usize>((o >> 2) * G * OB + (o & 3));
    for (let t = 0; t < taps; t++) {
      for (let g = 0; g < CG; g++) {
        let nib: u32 = 0;
        if (o < O) {
          for (let i = 0; i < 4; i++) {
            const c = g * 4 + i;
            if (c >= C) break;
            const word = load<u64>(wPacked + (<usize>((o * taps + t) * CW + (c >> 6)) << 3));
            nib |= <u32>((word >> <u64>(c & 63)) & 1) << i;
          }
        }
        store<u8>(blk + <usize>((t * CG + g) * OB), <u8>(nib << 4));
      }
    }
  }
  const mulOut = out + <usize>(nB * G * OB);
  for (let o = 0; o < nB * OB; o++)
    store<f32>(mulOut + (<usize>o << 2), o >= O ? 0 : mul == 0 ? 1 : load<f32>(mul + (<usize>o << 2)));
}

/** out f32 NHWC = mul[o]·Σ±x + bias (bias ptr 0 -> none), ReLU if flags&1. */
export function bwnconv2d(p: usize, x: usize, w: usize, bias: usize, out: usize, scratch: usize): void {
  const prm = convParams(p);
  fconvPad(p, x, scratch);
  bwnconv2dRange(0, prm.n * prm.oh, 0, p, x, w, bias, out, scratch);
}

/** Channels [0, nv) of one pixel's 4. */
@inline function store4(dst: usize, v: v128, nv: i32): void {
  if (nv >= 4) { v128.store(dst, v); return; }
  store<f32>(dst, f32x4.extract_lane(v, 0));
  if (nv > 1) store<f32>(dst, f32x4.extract_lane(v, 1), 4);
  if (nv > 2) store<f32>(dst, f32x4.extract_lane(v, 2), 8);
}

/**
 * Output rows [y0, y1) of the flattened [N, OH] (bwnconv2d's share for thread t; fconvPad ran
 * before; thread t's tables at scratch + pad bytes + t·bwnTableBytes). Blocks are 8
 * consecutive pixels of the range (across rows; the last block repeats the range's last pixel).
 * Every table lane is one pixel's, so a pixel's output does not depend on its block: any split
 * is bit-identical. 4 channels x 8 pixels = 8 accumulators.
 */
export function bwnconv2dRange(y0: i32, y1: i32, t: i32, p: usize, x: usize, w: usize, bias: usize, out: usize,
  scratch: usize): void {
  const prm = convParams(p);
  const H = prm.h, W = prm.w, C = prm.c, O = prm.o;
  const KH = prm.kh, KW = prm.kw, SH = prm.sh, SW = prm.sw, DH = prm.dh, DW = prm.dw;
  const PT = prm.pt, PL = prm.pl, PB = prm.pb, PR = prm.pr;
  const OH = prm.oh, OW = prm.ow;
  const relu = (prm.flags & FLAG_RELU) != 0;
  let src = x, Hp = H, Wp = W;
  if ((PT | PL | PB | PR) != 0) {
    src = scratch; Hp = H + PT + PB; Wp = W + PL + PR;
  }
  const CG = (C + 3) >> 2, G = KH * KW * CG, nB = blocksOf(p);
  const tables = scratch + <usize>padBytes(p) + <usize>t * <usize>(G * TABLE_B);
  const mulBase = w + <usize>(nB * G * OB);
  const oB = <usize>O << 2;
  const zero = f32x4.splat(0);
  const OHW = OH * OW;
  const i1 = y1 * OW;
  for (let i0 = y0 * OW; i0 < i1; i0 += 8) {
    // input pointers of the block's 8 pixels (the last ones repeat the range's last pixel)
    const b0 = pixelBase(src, i0, i1, OHW, OW, Hp, Wp, C, SH, SW), b1 = pixelBase(src, i0 + 1, i1, OHW, OW, Hp, Wp, C, SH, SW);
    const b2 = pixelBase(src, i0 + 2, i1, OHW, OW, Hp, Wp, C, SH, SW), b3 = pixelBase(src, i0 + 3, i1, OHW, OW, Hp, Wp, C, SH, SW);
    const b4 = pixelBase(src, i0 + 4, i1, OHW, OW, Hp, Wp, C, SH, SW), b5 = pixelBase(src, i0 + 5, i1, OHW, OW, Hp, Wp, C, SH, SW);
    const b6 = pixelBase(src, i0 + 6, i1, OHW, OW, Hp, Wp, C, SH, SW), b7 = pixelBase(src, i0 + 7, i1, OHW, OW, Hp, Wp, C, SH, SW);
    let tb = tables;
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const off = (<usize>((kh * DH * Wp + kw * DW) * C)) << 2;
        for (let c = 0; c < C; c += 4) {
          const cb = off + (<usize>c << 2), left = C - c;
          buildGroup(tb, loadGroup(b0 + cb, left), loadGroup(b1 + cb, left), loadGroup(b2 + cb, left), loadGroup(b3 + cb, left));
          buildGroup(tb + HALF_B, loadGroup(b4 + cb, left), loadGroup(b5 + cb, left), loadGroup(b6 + cb, left), loadGroup(b7 + cb, left));
          tb += TABLE_B;
        }
      }
    }
    const np = min(8, i1 - i0);
    for (let ob = 0; ob < nB; ob++) {
      let wp = w + <usize>(ob * G * OB);
      const wEnd = wp + <usize>(G * OB);
      let tp = tables;
      let a0 = zero, a1 = zero, a2 = zero, a3 = zero, c0 = zero, c1 = zero, c2 = zero, c3 = zero;
      do {
        const e0 = tp + <usize>load<u8>(wp), e1 = tp + <usize>load<u8>(wp, 1);
        const e2 = tp + <usize>load<u8>(wp, 2), e3 = tp + <usize>load<u8>(wp, 3);
        a0 = f32x4.add(a0, v128.load(e0)); c0 = f32x4.add(c0, v128.load(e0, HALF_B));
        a1 = f32x4.add(a1, v128.load(e1)); c1 = f32x4.add(c1, v128.load(e1, HALF_B));
        a2 = f32x4.add(a2, v128.load(e2)); c2 = f32x4.add(c2, v128.load(e2, HALF_B));
        a3 = f32x4.add(a3, v128.load(e3)); c3 = f32x4.add(c3, v128.load(e3, HALF_B));
        tp += TABLE_B; wp += OB;
      } while (wp < wEnd);
      const o0 = ob << 2;
      const nv = min(4, O - o0);
      const m = v128.load(mulBase + (<usize>o0 << 2));
      const bb = bias == 0 ? zero : nv >= 4 ? v128.load(bias + (<usize>o0 << 2)) : loadPartial(bias, o0, nv);
      const dst = out + (<usize>(i0 * O + o0) << 2);
      const u0 = v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), u1 = v128.shuffle<f32>(a0, a1, 2, 6, 3, 7);
      const u2 = v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), u3 = v128.shuffle<f32>(a2, a3, 2, 6, 3, 7);
      store4(dst, finish(v128.shuffle<f64>(u0, u2, 0, 2), m, bb, relu), nv);
      if (np > 1) store4(dst + oB, finish(v128.shuffle<f64>(u0, u2, 1, 3), m, bb, relu), nv);
      if (np > 2) store4(dst + 2 * oB, finish(v128.shuffle<f64>(u1, u3, 0, 2), m, bb, relu), nv);
      if (np > 3) store4(dst + 3 * oB, finish(v128.shuffle<f64>(u1, u3, 1, 3), m, bb, relu), nv);
      if (np > 4) {
        const v0 = v128.shuffle<f32>(c0, c1, 0, 4, 1, 5), v1 = v128.shuffle<f32>(c0, c1, 2, 6, 3, 7);
        const v2 = v128.shuffle<f32>(c2, c3, 0, 4, 1, 5), v3 = v128.shuffle<f32>(c2, c3, 2, 6, 3, 7);
        store4(dst + 4 * oB, finish(v128.shuffle<f64>(v0, v2, 0, 2), m, bb, relu), nv);
        if (np > 5) store4(dst + 5 * oB, finish(v128.shuffle<f64>(v0, v2, 1, 3), m, bb, relu), nv);
        if (np > 6) store4(dst + 6 * oB, finish(v128.shuffle<f64>(v1, v3, 0, 2), m, bb, relu), nv);
        if (np > 7) store4(dst + 7 * oB, finish(v128.shuffle<f64>(v1, v3, 1, 3), m, bb, relu), nv);
      }
    }
  }
}

/** x of channels c..c+3 (zeros past C) at ptr. */
@inline function loadGroup(ptr: usize, left: i32): v128 {
  if (left >= 4) return v128.load(ptr);
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(ptr));
  if (left > 1) v = f32x4.replace_lane(v, 1, load<f32>(ptr, 4));
  if (left > 2) v = f32x4.replace_lane(v, 2, load<f32>(ptr, 8));
  return v;
}

@inline function neg(v: v128): v128 {
  return v128.xor(v, i32x4.splat(0x80000000));
}

/**
 * One half of a group's table: a..d hold channels c..c+3 of 4 pixels; entry s (bit i set:
 * channel i negated) = L[s & 3] + H[s >> 2], L over channels 0,1 and H over 2,3. x - y and
 * -(y - x) are the same float, so each entry is one rounding of exact pair sums.
 */
@inline function buildGroup(tb: usize, a: v128, b: v128, c: v128, d: v128): void {
  // transpose: xi = channel i over the 4 pixels
  const t0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), t1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(c, d, 0, 4, 1, 5), t3 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
  const x0 = v128.shuffle<f64>(t0, t2, 0, 2), x1 = v128.shuffle<f64>(t0, t2, 1, 3);
  const x2 = v128.shuffle<f64>(t1, t3, 0, 2), x3 = v128.shuffle<f64>(t1, t3, 1, 3);
  const l0 = f32x4.add(x0, x1), l1 = f32x4.sub(x1, x0), l2 = neg(l1), l3 = neg(l0);
  const h0 = f32x4.add(x2, x3), h1 = f32x4.sub(x3, x2), h2 = neg(h1), h3 = neg(h0);
  v128.store(tb, f32x4.add(l0, h0), 0); v128.store(tb, f32x4.add(l1, h0), 16);
  v128.store(tb, f32x4.add(l2, h0), 32); v128.store(tb, f32x4.add(l3, h0), 48);
  v128.store(tb, f32x4.add(l0, h1), 64); v128.store(tb, f32x4.add(l1, h1), 80);
  v128.store(tb, f32x4.add(l2, h1), 96); v128.store(tb, f32x4.add(l3, h1), 112);
  v128.store(tb, f32x4.add(l0, h2), 128); v128.store(tb, f32x4.add(l1, h2), 144);
  v128.store(tb, f32x4.add(l2, h2), 160); v128.store(tb, f32x4.add(l3, h2), 176);
  v128.store(tb, f32x4.add(l0, h3), 192); v128.store(tb, f32x4.add(l1, h3), 208);
  v128.store(tb, f32x4.add(l2, h3), 224); v128.store(tb, f32x4.add(l3, h3), 240);
}

@inline function finish(acc: v128, m: v128, b: v128, relu: bool): v128 {
  const r = f32x4.add(f32x4.mul(acc, m), b);
  return relu ? f32x4.max(r, f32x4.splat(0)) : r;
}

/** Input of output pixel min(i, end - 1) of the flattened [N, OH, OW] (padded coordinates). */
@inline function pixelBase(src: usize, i: i32, end: i32, OHW: i32, OW: i32, Hp: i32, Wp: i32, C: i32, SH: i32, SW: i32): usize {
  const j = min(i, end - 1);
  const n = j / OHW, r = j - n * OHW, oh = r / OW, ow = r - oh * OW;
  return src + (<usize>(((n * Hp + oh * SH) * Wp + ow * SW) * C) << 2);
}
