// Float conv2d NHWC x OHWI (zero padding), f32x4, for stems, last layers and BWN layers
// (docs/KERNELS.md "Kernel design notes").
import { wordsFor } from '../bits';
import { convParams, FLAG_RELU } from '../abi';
import { padCopyF32 } from '../padcopy';
import { madd } from './madd';

const FOB: i32 = 8; // output channels per block

@inline function blocked8(O: i32): i32 {
  return (O + 7) & ~7;
}

export function fconvWeightsBytes(p: usize): i32 {
  const prm = convParams(p);
  return blocked8(prm.o) * prm.kh * prm.kw * prm.c * 4;
}

export function fconvScratchBytes(p: usize): i32 {
  const prm = convParams(p);
  const PT = prm.pt, PL = prm.pl, PB = prm.pb, PR = prm.pr;
  if ((PT | PL | PB | PR) == 0) return 0;
  return prm.n * (prm.h + PT + PB) * (prm.w + PL + PR) * prm.c * 4;
}

/** w: f32 OHWI -> out: [ceil(O/8)][KH][KW*C][8] (zero tail channels). */
export function fconvPrepareWeights(p: usize, w: usize, out: usize): void {
  const prm = convParams(p);
  const O = prm.o, row = prm.kh * prm.kw * prm.c;
  const O8 = blocked8(O);
  for (let o = 0; o < O8; o++) {
    for (let k = 0; k < row; k++) {
      const v: f32 = o < O ? load<f32>(w + (<usize>(o * row + k) << 2)) : 0;
      store<f32>(out + (<usize>(((o >> 3) * row + k) * FOB + (o & 7)) << 2), v);
    }
  }
}

/**
 * BWN: expand packed OHWI weight bits (docs/KERNELS.md "Bit convention") straight into the fconv layout as ±mul[o]
 * (mul ptr 0 -> ±1). Channel-padding bits are skipped.
 */
export function bwnPrepareWeights(p: usize, wPacked: usize, mul: usize, out: usize): void {
  const prm = convParams(p);
  const O = prm.o, KH = prm.kh, KW = prm.kw, C = prm.c;
  const CW = wordsFor(C), taps = KH * KW, row = taps * C;
  const O8 = blocked8(O);
  for (let o = 0; o < O8; o++) {
    const m: f32 = o >= O ? 0 : mul == 0 ? 1 : load<f32>(mul + (<usize>o << 2));
    for (let t = 0; t < taps; t++) {
      for (let c = 0; c < C; c++) {
        let v: f32 = 0;
        if (o < O) {
          const word = load<u64>(wPacked + (<usize>((o * taps + t) * CW + (c >> 6)) << 3));
          v = ((word >> <u64>(c & 63)) & 1) != 0 ? -m : m;
        }
        store<f32>(out + (<usize>(((o >> 3) * row + t * C + c) * FOB + (o & 7)) << 2), v);
      }
    }
  }
}

@inline function storeBlock(dst: usize, lo: v128, hi: v128, nv: i32): void {
  if (nv >= 8) {
    v128.store(dst, lo);
    v128.store(dst, hi, 16);
  } else {
    // partial block: lane stores so we never clobber the next pixel's channels
    if (nv > 0) store<f32>(dst, f32x4.extract_lane(lo, 0));
    if (nv > 1) store<f32>(dst, f32x4.extract_lane(lo, 1), 4);
    if (nv > 2) store<f32>(dst, f32x4.extract_lane(lo, 2), 8);
    if (nv > 3) store<f32>(dst, f32x4.extract_lane(lo, 3), 12);
    if (nv > 4) store<f32>(dst, f32x4.extract_lane(hi, 0), 16);
    if (nv > 5) store<f32>(dst, f32x4.extract_lane(hi, 1), 20);
    if (nv > 6) store<f32>(dst, f32x4.extract_lane(hi, 2), 24);
  }
}

@inline function finish(v: v128, b: v128, relu: bool): v128 {
  const r = f32x4.add(v, b);
  return relu ? f32x4.max(r, f32x4.splat(0)) : r;
}

/** Copies x into the zero-padded scratch when the conv has pads (fconv2dRange reads it there). */
export function fconvPad(p: usize, x: usize, scratch: usize): void {
  const prm = convParams(p);
  const PT = prm.pt, PL = prm.pl, PB = prm.pb, PR = prm.pr;
  if ((PT | PL | PB | PR) != 0)
    padCopyF32(x, scratch, prm.n, prm.h, prm.w, prm.c, PT, PL, PB, PR);
}

/** out f32 NHWC [N,OH,OW,O] = conv(x, w) + bias (bias ptr 0 -> none), ReLU if flags&1. */
export function fconv2d(p: usize, x: usize, w: usize, bias: usize, out: usize, scratch: usize): void {
  const prm = convParams(p);
  fconvPad(p, x, scratch);
  fconv2dRange(0, prm.n * prm.oh, 0, p, x, w, bias, out, scratch);
}

/**
 * Output rows [y0, y1) of the flattened [N, OH] (a thread's share; fconvPad ran before; t is
 * unused: no per-thread scratch). Rows are computed independently, so any split is
 * bit-identical to fconv2d. One input scalar (splat) multiplies 8 output channels held in 2
 * v128; 4 output pixels are register-blocked (8 accumulators); with DW == 1 a kernel row is
 * KW*C contiguous floats of the padded scratch, so the loop never tests bounds.
 */
export function fconv2dRange(y0: i32, y1: i32, t: i32, p: usize, x: usize, w: usize, bias: usize, out: usize,
  scratch: usize): void {
  const prm = convParams(p);
  const H = prm.h, W = prm.w, C = prm.c, O = prm.o;
  const KH = prm.kh, KW = prm.kw, SH = prm.sh, SW = prm.sw;
  const DH = prm.dh, DW = prm.dw;
  const PT = prm.pt, PL = prm.pl, PB = prm.pb, PR = prm.pr;
  const OH = prm.oh, OW = prm.ow;
  const relu = (prm.flags & FLAG_RELU) != 0;
  let src = x, Hp = H, Wp = W;
  if ((PT | PL | PB | PR) != 0) {
    src = scratch; Hp = H + PT + PB; Wp = W + PL + PR;
  }
  const kwN = DW == 1 ? 1 : KW;
  const seg = DW == 1 ? KW * C : C;
  const kwStepB = <usize>(DW * C) << 2;
  const khStepB = <usize>(DH * Wp * C) << 2;
  const wKhB = <usize>(KW * C) << 5;
  const wKwB = <usize>C << 5;
  const pxB = <usize>(SW * C) << 2;
  const wBlockB = <usize>(KH * KW * C) << 5;
  const nBlocks = blocked8(O) >> 3;
  const zero = f32x4.splat(0);
  const c3s2 = SW * C == 6 && DW == 1;
  for (let n = y0 / OH; n * OH < y1; n++) {
    const oh0 = max(0, y0 - n * OH), oh1 = min(OH, y1 - n * OH);
    for (let ob = 0; ob < nBlocks; ob++) {
      const wb = w + <usize>ob * wBlockB;
      const o0 = ob << 3;
      const nv = min(FOB, O - o0);
      const b0 = bias == 0 ? zero : nv >= 4 ? v128.load(bias + (<usize>o0 << 2)) : loadPartial(bias, o0, nv);
      const b1 = bias == 0 || nv <= 4 ? zero : nv >= 8 ? v128.load(bias + (<usize>(o0 + 4) << 2)) : loadPartial(bias, o0 + 4, nv - 4);
      for (let oh = oh0; oh < oh1; oh++) {
        const rowBase = src + (<usize>((n * Hp + oh * SH) * Wp * C) << 2);
        const outRow = out + (<usize>((n * OH + oh) * OW * O + o0) << 2);
        for (let ow = 0; ow < OW; ow += 4) {
          const q1 = min(ow + 1, OW - 1), q2 = min(ow + 2, OW - 1), q3 = min(ow + 3, OW - 1);
          const p0 = rowBase + <usize>ow * pxB, p1 = rowBase + <usize>q1 * pxB;
          const p2 = rowBase + <usize>q2 * pxB, p3 = rowBase + <usize>q3 * pxB;
          let s0l = zero, s0h = zero, s1l = zero, s1h = zero;
          let s2l = zero, s2h = zero, s3l = zero, s3h = zero;
          if (c3s2 && q3 == ow + 3) {
            // SW*C == 6, DW == 1 (the ImageNet 7x7/2 stem, C = 3): the 4 pixels are 24 bytes
            // apart, so every load offset is an immediate and the loop keeps 2 pointers, not 5.
            // One step per iteration: a longer body makes TurboFan hoist all its loads and
            // spill (measured slower: bench/results/code-notes.md).
            for (let kh = 0; kh < KH; kh++) {
              let pi = p0 + <usize>kh * khStepB;
              let pw = wb + <usize>kh * wKhB;
              const end = pi + <usize>seg * 4;
              do {
                const wl = v128.load(pw), wh = v128.load(pw, 16);
                const x0 = v128.load32_splat(pi), x1 = v128.load32_splat(pi, 24);
                const x2 = v128.load32_splat(pi, 48), x3 = v128.load32_splat(pi, 72);
                s0l = madd(x0, wl, s0l); s0h = madd(x0, wh, s0h);
                s1l = madd(x1, wl, s1l); s1h = madd(x1, wh, s1h);
                s2l = madd(x2, wl, s2l); s2h = madd(x2, wh, s2h);
                s3l = madd(x3, wl, s3l); s3h = madd(x3, wh, s3h);
                pi += 4; pw += 32;
              } while (pi < end);
            }
          } else {
            for (let kh = 0; kh < KH; kh++) {
              for (let kw = 0; kw < kwN; kw++) {
                const off = <usize>kh * khStepB + <usize>kw * kwStepB;
                let pw = wb + <usize>kh * wKhB + <usize>kw * wKwB;
                let i0 = p0 + off, i1 = p1 + off, i2 = p2 + off, i3 = p3 + off;
                for (let j = 0; j < seg; j++) {
                  const wl = v128.load(pw), wh = v128.load(pw, 16);
                  const x0 = v128.load32_splat(i0), x1 = v128.load32_splat(i1);
                  const x2 = v128.load32_splat(i2), x3 = v128.load32_splat(i3);
                  s0l = madd(x0, wl, s0l); s0h = madd(x0, wh, s0h);
                  s1l = madd(x1, wl, s1l); s1h = madd(x1, wh, s1h);
                  s2l = madd(x2, wl, s2l); s2h = madd(x2, wh, s2h);
                  s3l = madd(x3, wl, s3l); s3h = madd(x3, wh, s3h);
                  pw += 32; i0 += 4; i1 += 4; i2 += 4; i3 += 4;
                }
              }
            }
          }
          const oB = <usize>O << 2;
          storeBlock(outRow + <usize>ow * oB, finish(s0l, b0, relu), finish(s0h, b1, relu), nv);
          if (q1 > ow) storeBlock(outRow + <usize>q1 * oB, finish(s1l, b0, relu), finish(s1h, b1, relu), nv);
          if (q2 > q1) storeBlock(outRow + <usize>q2 * oB, finish(s2l, b0, relu), finish(s2h, b1, relu), nv);
          if (q3 > q2) storeBlock(outRow + <usize>q3 * oB, finish(s3l, b0, relu), finish(s3h, b1, relu), nv);
        }
      }
    }
  }
}

/** ptr[o .. o + min(nv, 4)), zeros after. */
export function loadPartial(ptr: usize, o: i32, nv: i32): v128 {
  let v = f32x4.splat(0);
  if (nv > 0) v = f32x4.replace_lane(v, 0, load<f32>(ptr + (<usize>o << 2)));
  if (nv > 1) v = f32x4.replace_lane(v, 1, load<f32>(ptr + (<usize>(o + 1) << 2)));
  if (nv > 2) v = f32x4.replace_lane(v, 2, load<f32>(ptr + (<usize>(o + 2) << 2)));
  if (nv > 3) v = f32x4.replace_lane(v, 3, load<f32>(ptr + (<usize>(o + 3) << 2)));
  return v;
}
