// Exact integer stem (docs/KERNELS.md "Integer stem"): a float conv with power-of-two-grid
// weights on integer inputs, from an exact i32 dot product; bit-identical to fconv2d.
import { convParams, FLAG_RELU } from '../abi';

@inline function blocked8(O: i32): i32 {
  return (O + 7) & ~7;
}

@inline function pairsPerRow(p: usize): i32 {
  const prm = convParams(p);
  return (prm.kw * prm.c + 1) >> 1;
}

export function istemWeightsBytes(p: usize): i32 {
  const prm = convParams(p);
  return blocked8(prm.o) * prm.kh * pairsPerRow(p) * 2 * 2;
}

/** Padded i16 input (+16 bytes: an odd kernel row's last pair reads one value past the row). */
export function istemScratchBytes(p: usize): i32 {
  const prm = convParams(p);
  const Hp = prm.h + prm.pt + prm.pb, Wp = prm.w + prm.pl + prm.pr;
  return ((prm.n * Hp * Wp * prm.c * 2 + 15) & ~15) + 16;
}

/**
 * q: i32 OHWI integer weights (|q| <= 32767) -> out: [ceil(O/8)][KH][P][8][2] i16, P =
 * ceil(KW*C / 2) tap pairs per kernel row (DW == 1: a row is KW*C contiguous values), an odd
 * row's last pair padded with a 0 weight.
 */
export function istemPrepareWeights(p: usize, q: usize, out: usize): void {
  const prm = convParams(p);
  const O = prm.o, KH = prm.kh, KW = prm.kw, C = prm.c;
  const row = KW * C, P = pairsPerRow(p), O8 = blocked8(O);
  memory.fill(out, 0, <usize>istemWeightsBytes(p));
  for (let o = 0; o < O; o++) {
    for (let kh = 0; kh < KH; kh++) {
      for (let t = 0; t < row; t++) {
        const v = load<i32>(q + (<usize>((o * KH + kh) * row + t) << 2));
        const dst = ((((o >> 3) * KH + kh) * P + (t >> 1)) * 8 + (o & 7)) * 2 + (t & 1);
        store<i16>(out + (<usize>dst << 1), <i16>v);
      }
    }
  }
}

/**
 * Converts the f32 NHWC input x to i16 in the zero-padded scratch; returns 1 if every value
 * is an integer with |x| <= limit (the kernel is then exact), else 0 (run fconv2d instead).
 */
export function istemPad(p: usize, x: usize, scratch: usize, limit: i32): i32 {
  const prm = convParams(p);
  const N = prm.n, H = prm.h, W = prm.w, C = prm.c;
  const PT = prm.pt, PL = prm.pl, PB = prm.pb, PR = prm.pr;
  const Hp = H + PT + PB, Wp = W + PL + PR;
  memory.fill(scratch, 0, <usize>istemScratchBytes(p));
  const lim = <f32>limit;
  let ok = 1;
  const rowN = W * C;
  for (let n = 0; n < N; n++) {
    for (let h = 0; h < H; h++) {
      const src = x + (<usize>((n * H + h) * rowN) << 2);
      const dst = scratch + (<usize>(((n * Hp + PT + h) * Wp + PL) * C) << 1);
      for (let i = 0; i < rowN; i++) {
        const v = load<f32>(src + (<usize>i << 2));
        // NaN fails both tests; the range test first keeps the conversion defined
        if (!(v >= -lim && v <= lim)) { ok = 0; continue; }
        const iv = <i32>v;
        if (<f32>iv != v) ok = 0;
        store<i16>(dst + (<usize>i << 1), <i16>iv);
      }
    }
  }
  return ok;
}

@inline function loadPartialF(ptr: usize, o: i32, nv: i32): v128 {
  let v = f32x4.splat(0);
  if (nv > 0) v = f32x4.replace_lane(v, 0, load<f32>(ptr + (<usize>o << 2)));
  if (nv > 1) v = f32x4.replace_lane(v, 1, load<f32>(ptr + (<usize>(o + 1) << 2)));
  if (nv > 2) v = f32x4.replace_lane(v, 2, load<f32>(ptr + (<usize>(o + 2) << 2)));
  if (nv > 3) v = f32x4.replace_lane(v, 3, load<f32>(ptr + (<usize>(o + 3) << 2)));
  return v;
}

@inline function loadHalf(ptr: usize, o: i32, nv: i32, dflt: f32): v128 {
  if (ptr == 0) return f32x4.splat(dflt);
  if (nv >= 4) return v128.load(ptr + (<usize>o << 2));
  if (nv <= 0) return f32x4.splat(dflt);
  return loadPartialF(ptr, o, nv);
}

/** f32(acc) * g + b (exact product: g is a power of two), then ReLU. */
@inline function finishI(acc: v128, g: v128, b: v128, relu: bool): v128 {
  const r = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc), g), b);
  return relu ? f32x4.max(r, f32x4.splat(0)) : r;
}

@inline function storeBlockI(dst: usize, lo: v128, hi: v128, nv: i32): void {
  if (nv >= 8) {
    v128.store(dst, lo);
    v128.store(dst, hi, 16);
  } else {
    if (nv > 0) store<f32>(dst, f32x4.extract_lane(lo, 0));
    if (nv > 1) store<f32>(dst, f32x4.extract_lane(lo, 1), 4);
    if (nv > 2) store<f32>(dst, f32x4.extract_lane(lo, 2), 8);
    if (nv > 3) store<f32>(dst, f32x4.extract_lane(lo, 3), 12);
    if (nv > 4) store<f32>(dst, f32x4.extract_lane(hi, 0), 16);
    if (nv > 5) store<f32>(dst, f32x4.extract_lane(hi, 1), 20);
    if (nv > 6) store<f32>(dst, f32x4.extract_lane(hi, 2), 24);
  }
}

/**
 * Output rows [y0, y1) of the flattened [N, OH] (istemPad ran before and returned 1; t unused).
 * One step: i32x4.dot_i16x8_s of a pair of input values (one i32 splat) with the pair's weights
 * of 4 channels; 8 channels x 4 output pixels per block (8 i32x4 accumulators), as in fconv2d.
 * w: istemPrepareWeights; g: f32[O] grid steps (powers of two); bias: f32[O] or 0; ReLU if
 * flags & 1. DW must be 1. Rows are computed independently: any split is bit-identical.
 */
export function istemRange(y0: i32, y1: i32, t: i32, p: usize, w: usize, g: usize, bias: usize, out: usize,
  scratch: usize): void {
  const prm = convParams(p);
  const H = prm.h, W = prm.w, C = prm.c, O = prm.o;
  const KH = prm.kh, SH = prm.sh, SW = prm.sw, DH = prm.dh;
  const Hp = H + prm.pt + prm.pb, Wp = W + prm.pl + prm.pr;
  const OH = prm.oh, OW = prm.ow;
  const relu = (prm.flags & FLAG_RELU) != 0;
  const P = pairsPerRow(p);
  const khStepB = <usize>(DH * Wp * C) << 1;
  const wKhB = <usize>P << 5;          // 8 channels x 2 taps x 2 bytes per pair
  const wBlockB = <usize>KH * wKhB;
  const pxB = <usize>(SW * C) << 1;
  const px24 = pxB == 24;
  const nBlocks = blocked8(O) >> 3;
  const zero = i32x4.splat(0);
  for (let n = y0 / OH; n * OH < y1; n++) {
    const oh0 = max(0, y0 - n * OH), oh1 = min(OH, y1 - n * OH);
    for (let ob = 0; ob < nBlocks; ob++) {
      const wb = w + <usize>ob * wBlockB;
      const o0 = ob << 3;
      const nv = min(8, O - o0);
      const g0 = loadHalf(g, o0, nv, 1), g1 = loadHalf(g, o0 + 4, nv - 4, 1);
      const b0 = loadHalf(bias, o0, nv, 0), b1 = loadHalf(bias, o0 + 4, nv - 4, 0);
      for (let oh = oh0; oh < oh1; oh++) {
        const rowBase = scratch + (<usize>((n * Hp + oh * SH) * Wp * C) << 1);
        const outRow = out + (<usize>((n * OH + oh) * OW * O + o0) << 2);
        for (let ow = 0; ow < OW; ow += 4) {
          const q1 = min(ow + 1, OW - 1), q2 = min(ow + 2, OW - 1), q3 = min(ow + 3, OW - 1);
          const p0 = rowBase + <usize>ow * pxB, p1 = rowBase + <usize>q1 * pxB;
          const p2 = rowBase + <usize>q2 * pxB, p3 = rowBase + <usize>q3 * pxB;
          let s0l = zero, s0h = zero, s1l = zero, s1h = zero;
          let s2l = zero, s2h = zero, s3l = zero, s3h = zero;
          if (px24 && q3 == ow + 3) {
            // pixels 24 bytes apart (SW*C == 12: AlexNet's 11x11/4 RGB stem): every load offset
            // an immediate, 2 pointers instead of 5, as in fconv2d's SW*C == 6 path
            for (let kh = 0; kh < KH; kh++) {
              let pi = p0 + <usize>kh * khStepB;
              let pw = wb + <usize>kh * wKhB;
              const end = pw + wKhB;
              do {
                const wl = v128.load(pw), wh = v128.load(pw, 16);
                const x0 = v128.load32_splat(pi), x1 = v128.load32_splat(pi, 24);
                const x2 = v128.load32_splat(pi, 48), x3 = v128.load32_splat(pi, 72);
                s0l = i32x4.add(s0l, i32x4.dot_i16x8_s(x0, wl)); s0h = i32x4.add(s0h, i32x4.dot_i16x8_s(x0, wh));
                s1l = i32x4.add(s1l, i32x4.dot_i16x8_s(x1, wl)); s1h = i32x4.add(s1h, i32x4.dot_i16x8_s(x1, wh));
                s2l = i32x4.add(s2l, i32x4.dot_i16x8_s(x2, wl)); s2h = i32x4.add(s2h, i32x4.dot_i16x8_s(x2, wh));
                s3l = i32x4.add(s3l, i32x4.dot_i16x8_s(x3, wl)); s3h = i32x4.add(s3h, i32x4.dot_i16x8_s(x3, wh));
                pw += 32; pi += 4;
              } while (pw < end);
            }
          } else for (let kh = 0; kh < KH; kh++) {
            const off = <usize>kh * khStepB;
            let pw = wb + <usize>kh * wKhB;
            let i0 = p0 + off, i1 = p1 + off, i2 = p2 + off, i3 = p3 + off;
            const end = pw + wKhB;
            do {
              const wl = v128.load(pw), wh = v128.load(pw, 16);
              const x0 = v128.load32_splat(i0), x1 = v128.load32_splat(i1);
              const x2 = v128.load32_splat(i2), x3 = v128.load32_splat(i3);
              s0l = i32x4.add(s0l, i32x4.dot_i16x8_s(x0, wl)); s0h = i32x4.add(s0h, i32x4.dot_i16x8_s(x0, wh));
              s1l = i32x4.add(s1l, i32x4.dot_i16x8_s(x1, wl)); s1h = i32x4.add(s1h, i32x4.dot_i16x8_s(x1, wh));
              s2l = i32x4.add(s2l, i32x4.dot_i16x8_s(x2, wl)); s2h = i32x4.add(s2h, i32x4.dot_i16x8_s(x2, wh));
              s3l = i32x4.add(s3l, i32x4.dot_i16x8_s(x3, wl)); s3h = i32x4.add(s3h, i32x4.dot_i16x8_s(x3, wh));
              pw += 32; i0 += 4; i1 += 4; i2 += 4; i3 += 4;
            } while (pw < end);
          }
          const oB = <usize>O << 2;
          storeBlockI(outRow + <usize>ow * oB, finishI(s0l, g0, b0, relu), finishI(s0h, g1, b1, relu), nv);
          if (q1 > ow) storeBlockI(outRow + <usize>q1 * oB, finishI(s1l, g0, b0, relu), finishI(s1h, g1, b1, relu), nv);
          if (q2 > q1) storeBlockI(outRow + <usize>q2 * oB, finishI(s2l, g0, b0, relu), finishI(s2h, g1, b1, relu), nv);
          if (q3 > q2) storeBlockI(outRow + <usize>q3 * oB, finishI(s3l, g0, b0, relu), finishI(s3h, g1, b1, relu), nv);
        }
      }
    }
  }
}

/** istemPad (must return 1) + istemRange over all N*OH output rows. */
export function istem2d(p: usize, x: usize, w: usize, g: usize, bias: usize, out: usize, scratch: usize, limit: i32): i32 {
  const prm = convParams(p);
  if (!istemPad(p, x, scratch, limit)) return 0;
  istemRange(0, prm.n * prm.oh, 0, p, w, g, bias, out, scratch);
  return 1;
}
