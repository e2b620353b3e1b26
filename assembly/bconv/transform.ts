// Output transforms of the binary conv, applied to a tile of output pixels after the popcount
// loops have written the tile's raw XOR popcounts (i32 [tile][O4], see kernel.ts). Vectorised
// over output channels (4 per i32x4/f32x4). The algebra (docs/KERNELS.md "output transform"):
//   dot = n - 2*popcount - corr      n = KH*KW*C, corr = zero-padding correction (else 0)
//   float:  y = mul[o] * dot * K[pixel] + bias[o]     (mul ptr 0 -> 1, bias ptr 0 -> 0,
//           K ptr 0 -> 1; f32 evaluation order exactly as written, lane-wise = scalar), ReLU
//   packed: bit o of the output pixel = +1 (0) iff dir[o] >= 0 ? dot >= thr[o] : dot <= thr[o]
// Channel tails (O % 4 != 0) go lane by lane, so nothing past O is read or written.
import { FLAG_PACKED, FLAG_RELU } from '../params';

// Per-call state, set by bconv2d before the loops (globals keep the hot signatures short).
let gOut: usize = 0;
let gMul: usize = 0;
let gBias: usize = 0;
let gKmap: usize = 0;
let gThr: usize = 0;
let gDir: usize = 0;
let gO: i32 = 0;
let gO4: i32 = 0;
let gOCW: i32 = 0;
let gOH: i32 = 0;
let gOW: i32 = 0;
let gNTot: i32 = 0;
let gFlags: i32 = 0;
let gCorr: usize = 0; // 0 = no correction (not zero padding, or no pads)

export function setTransform(out: usize, mul: usize, bias: usize, kmap: usize, thr: usize, dir: usize,
  O: i32, O4: i32, OCW: i32, OH: i32, OW: i32, nTot: i32, flags: i32, corr: usize): void {
  gOut = out; gMul = mul; gBias = bias; gKmap = kmap; gThr = thr; gDir = dir;
  gO = O; gO4 = O4; gOCW = OCW; gOH = OH; gOW = OW; gNTot = nTot; gFlags = flags; gCorr = corr;
}

/** Correction row (i32 [O4]) of output position (oh, ow), or 0 when it needs none. */
@inline function corrRow(oh: i32, ow: i32): usize {
  if (gCorr == 0) return 0;
  const nCC = load<i32>(gCorr, 4);
  const rc = load<i32>(gCorr + 8 + (<usize>oh << 2));
  const cc = load<i32>(gCorr + 8 + (<usize>(gOH + ow) << 2));
  if ((rc | cc) == 0) return 0;
  return gCorr + 8 + (<usize>(gOH + gOW + (rc * nCC + cc) * gO4) << 2);
}

@inline function dotAt(pc: usize, tbl: usize, o: i32): i32 {
  const c = tbl == 0 ? 0 : load<i32>(tbl + (<usize>o << 2));
  return gNTot - 2 * load<i32>(pc + (<usize>o << 2)) - c;
}

/**
 * Transforms `tn` output pixels (n, oh, ow0 .. ow0+tn-1) whose popcounts are at `pc`
 * (pixel i at pc + i*O4*4).
 */
export function transformTile(pc: usize, n: i32, oh: i32, ow0: i32, tn: i32): void {
  const O = gO, O4 = gO4, Ofull = O & ~3;
  const pcStride = <usize>O4 << 2;
  const nv = i32x4.splat(gNTot);
  const pix0 = (n * gOH + oh) * gOW + ow0;
  if (gFlags & FLAG_PACKED) {
    const OCW = gOCW;
    for (let i = 0; i < tn; i++) {
      const p = pc + <usize>i * pcStride;
      const tbl = corrRow(oh, ow0 + i);
      const dst = gOut + (<usize>((pix0 + i) * OCW) << 3);
      for (let wi = 0; wi < OCW; wi++) {
        const oEnd = min(Ofull, (wi + 1) << 6);
        let bits: u64 = 0;
        let o = wi << 6;
        for (; o < oEnd; o += 4) {
          const ob = <usize>o << 2;
          let d = i32x4.sub(nv, i32x4.shl(v128.load(p + ob), 1));
          if (tbl != 0) d = i32x4.sub(d, v128.load(tbl + ob));
          const t = v128.load(gThr + ob);
          const neg = i32x4.lt_s(v128.load(gDir + ob), i32x4.splat(0));
          const plus = v128.bitselect(i32x4.le_s(d, t), i32x4.ge_s(d, t), neg);
          bits |= <u64>i32x4.bitmask(v128.not(plus)) << <u64>(o & 63);
        }
        // channel tail (O % 4): lane by lane, never past O
        const oTail = min(O, (wi + 1) << 6);
        for (; o < oTail; o++) {
          const d = dotAt(p, tbl, o);
          const t = load<i32>(gThr + (<usize>o << 2));
          const plus = load<i32>(gDir + (<usize>o << 2)) < 0 ? d <= t : d >= t;
          if (!plus) bits |= <u64>1 << <u64>(o & 63);
        }
        store<u64>(dst + (<usize>wi << 3), bits);
      }
    }
    return;
  }
  const relu = (gFlags & FLAG_RELU) != 0;
  const hasMul = gMul != 0, hasBias = gBias != 0, hasK = gKmap != 0;
  const zero = f32x4.splat(0);
  for (let i = 0; i < tn; i++) {
    const p = pc + <usize>i * pcStride;
    const tbl = corrRow(oh, ow0 + i);
    const pix = pix0 + i;
    const kv: f32 = hasK ? load<f32>(gKmap + (<usize>pix << 2)) : 1;
    const kvv = f32x4.splat(kv);
    const dst = gOut + (<usize>(pix * O) << 2);
    let o = 0;
    for (; o < Ofull; o += 4) {
      const ob = <usize>o << 2;
      let d = i32x4.sub(nv, i32x4.shl(v128.load(p + ob), 1));
      if (tbl != 0) d = i32x4.sub(d, v128.load(tbl + ob));
      let y = f32x4.convert_i32x4_s(d);
      if (hasMul) y = f32x4.mul(v128.load(gMul + ob), y);
      if (hasK) y = f32x4.mul(y, kvv);
      if (hasBias) y = f32x4.add(y, v128.load(gBias + ob));
      if (relu) y = f32x4.max(y, zero);
      v128.store(dst + ob, y);
    }
    for (; o < O; o++) {
      const d = dotAt(p, tbl, o);
      let y: f32 = hasMul ? load<f32>(gMul + (<usize>o << 2)) * <f32>d : <f32>d;
      if (hasK) y = y * kv;
      if (hasBias) y = y + load<f32>(gBias + (<usize>o << 2));
      if (relu) y = max<f32>(y, 0);
      store<f32>(dst + (<usize>o << 2), y);
    }
  }
}
