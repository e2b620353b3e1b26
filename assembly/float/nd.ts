// N-D float glue for imported graphs (src/ops/spec.ts: Unary, Arith, Transpose, Pad, Concat,
// GroupConv2D) on dense row-major f32 arrays; nothing here allocates.

import { convParams, FLAG_RELU } from '../abi';
import { validHi, validLo } from '../window';

/**
 * Entry i of an i32 table of shapes and strides at `p`, written once at load by the TS op layer
 * (src/runtime/ops.ts):
 *   strided  (farith):  [R, dims[R], aStrides[R], bStrides[R]]   strides in elements, 0 = broadcast
 *   pad      (fpad):    [R, outDims[R], inDims[R], padLo[R]]
 * Outputs never alias inputs except in funary (elementwise).
 */
@inline function geti(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

/** fn: 0 sigmoid, 1 sign (0 → 0), 2 abs, 3 neg, 4 leaky relu (slope a), 5 clip to [a, b], 6 floor, 7 sqrt. */
export function funary(x: usize, y: usize, n: i32, fn: i32, a: f32, b: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    let r: f32;
    if (fn == 0) r = <f32>1 / (<f32>1 + Mathf.exp(-v));
    else if (fn == 1) r = v > 0 ? 1 : v < 0 ? -1 : 0;
    else if (fn == 2) r = Mathf.abs(v);
    else if (fn == 3) r = -v;
    else if (fn == 4) r = v < 0 ? a * v : v;
    else if (fn == 5) r = v < a ? a : v > b ? b : v;
    else if (fn == 6) r = Mathf.floor(v);
    else r = Mathf.sqrt(v);
    store<f32>(y + o, r);
  }
}

/**
 * y[i] = op(a[i·as], b[i·bs]) over the output index i of the strided table at p (numpy
 * broadcasting when a stride is 0). fn: 0 copy a (a transpose when the strides permute),
 * 1 add, 2 sub, 3 mul, 4 div, 5 prelu (a < 0 ? a·b : a), 6 max, 7 min.
 */
export function farith(p: usize, a: usize, b: usize, y: usize, fn: i32): void {
  const R = geti(p, 0);
  const last = geti(p, R);
  const sa = geti(p, 2 * R), sb = geti(p, 3 * R);
  let rows = 1;
  for (let d = 0; d < R - 1; d++) rows *= geti(p, 1 + d);
  for (let r = 0; r < rows; r++) {
    let rem = r, oa = 0, ob = 0;
    for (let d = R - 2; d >= 0; d--) {
      const dim = geti(p, 1 + d);
      const c = rem % dim;
      rem /= dim;
      oa += c * geti(p, 1 + R + d);
      ob += c * geti(p, 1 + 2 * R + d);
    }
    const out = y + (<usize>(r * last) << 2);
    for (let i = 0; i < last; i++) {
      const va = load<f32>(a + (<usize>(oa + i * sa) << 2));
      const vb: f32 = fn == 0 ? 0 : load<f32>(b + (<usize>(ob + i * sb) << 2));
      let v: f32;
      if (fn == 0) v = va;
      else if (fn == 1) v = va + vb;
      else if (fn == 2) v = va - vb;
      else if (fn == 3) v = va * vb;
      else if (fn == 4) v = va / vb;
      else if (fn == 5) v = va < 0 ? va * vb : va;
      else if (fn == 6) v = va > vb ? va : vb;
      else v = va < vb ? va : vb;
      store<f32>(out + (<usize>i << 2), v);
    }
  }
}

/** mode: 0 constant (value), 1 reflect (mirror without repeating the edge), 2 edge. */
export function fpad(p: usize, x: usize, y: usize, mode: i32, value: f32): void {
  const R = geti(p, 0);
  let total = 1;
  for (let d = 0; d < R; d++) total *= geti(p, 1 + d);
  for (let i = 0; i < total; i++) {
    let rem = i, src = 0, stride = 1, inside = true;
    for (let d = R - 1; d >= 0; d--) {
      const od = geti(p, 1 + d), id = geti(p, 1 + R + d), lo = geti(p, 1 + 2 * R + d);
      let c = rem % od - lo;
      rem /= od;
      if (c < 0 || c >= id) {
        if (mode == 0) inside = false;
        else if (mode == 2) c = c < 0 ? 0 : id - 1;
        else {
          // reflect; the TS layer checks pads < dim so one fold suffices
          c = c < 0 ? -c : 2 * (id - 1) - c;
        }
      }
      src += c * stride;
      stride *= id;
    }
    store<f32>(y + (<usize>i << 2), inside ? load<f32>(x + (<usize>src << 2)) : value);
  }
}

/** One input of a concat: outer blocks of `inner` floats land at offset + o·outInner in y. */
export function fconcat(x: usize, y: usize, outer: i32, inner: i32, outInner: i32, offset: i32): void {
  for (let o = 0; o < outer; o++)
    memory.copy(y + (<usize>(o * outInner + offset) << 2), x + (<usize>(o * inner) << 2), <usize>inner << 2);
}

/**
 * Grouped NHWC convolution (depthwise when groups = C): w is [O, KH, KW, C/groups] (OHWI of
 * each group), output channel oc reads input channels of group oc / (O / groups). Zero padding,
 * optional bias (0 = none), ReLU per the params flags. Direct loops: these layers are small.
 */
export function fgconv2d(p: usize, x: usize, w: usize, bias: usize, y: usize, groups: i32): void {
  const prm = convParams(p);
  const N = prm.n, H = prm.h, W = prm.w, C = prm.c, O = prm.o;
  const KH = prm.kh, KW = prm.kw, SH = prm.sh, SW = prm.sw;
  const DH = prm.dh, DW = prm.dw, PT = prm.pt, PL = prm.pl;
  const OH = prm.oh, OW = prm.ow, relu = prm.flags & FLAG_RELU;
  const cg = C / groups, og = O / groups;
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let oc = 0; oc < O; oc++) {
          const c0 = (oc / og) * cg;
          let acc: f32 = bias ? load<f32>(bias + (<usize>oc << 2)) : 0;
          const kh1 = validHi(oh, SH, PT, DH, KH, H), kw0 = validLo(ow, SW, PL, DW, KW, W), kw1 = validHi(ow, SW, PL, DW, KW, W);
          for (let kh = validLo(oh, SH, PT, DH, KH, H); kh < kh1; kh++) {
            const ih = oh * SH - PT + kh * DH;
            for (let kw = kw0; kw < kw1; kw++) {
              const iw = ow * SW - PL + kw * DW;
              const xs = x + (<usize>(((n * H + ih) * W + iw) * C + c0) << 2);
              const ws = w + (<usize>(((oc * KH + kh) * KW + kw) * cg) << 2);
              for (let ci = 0; ci < cg; ci++) acc += load<f32>(xs + (<usize>ci << 2)) * load<f32>(ws + (<usize>ci << 2));
            }
          }
          if (relu && acc < 0) acc = 0;
          store<f32>(y + (<usize>(((n * OH + oh) * OW + ow) * O + oc) << 2), acc);
        }
}
