// Output transforms of the binary conv, applied once per (output pixel, output channel) after
// the popcount loop. The algebra (docs/KERNELS.md "output transform"):
//   dot = n - 2*popcount - corr      n = KH*KW*C, corr = zero-padding correction (else 0)
//   float:  y = mul[o] * dot * K[pixel] + bias[o]     (mul ptr 0 -> 1, bias ptr 0 -> 0,
//           K ptr 0 -> 1; f32 evaluation order exactly as written), optional ReLU
//   packed: bit o of the output pixel = +1 (0) iff dir[o] >= 0 ? dot >= thr[o] : dot <= thr[o]
import { FLAG_PACKED, FLAG_RELU } from '../params';
import { OB } from './prepare';

// Per-call state, set by bconv2d before the loops (globals keep the hot signatures short).
export let gOut: usize = 0;
export let gMul: usize = 0;
export let gBias: usize = 0;
export let gKmap: usize = 0;
export let gThr: usize = 0;
export let gDir: usize = 0;
export let gO: i32 = 0;
export let gO4: i32 = 0;
export let gOCW: i32 = 0;
export let gOH: i32 = 0;
export let gOW: i32 = 0;
export let gNTot: i32 = 0;
export let gFlags: i32 = 0;
export let gCorr: usize = 0; // 0 = no correction (not zero padding, or no pads)

export function setTransform(out: usize, mul: usize, bias: usize, kmap: usize, thr: usize, dir: usize,
  O: i32, O4: i32, OCW: i32, OH: i32, OW: i32, nTot: i32, flags: i32, corr: usize): void {
  gOut = out; gMul = mul; gBias = bias; gKmap = kmap; gThr = thr; gDir = dir;
  gO = O; gO4 = O4; gOCW = OCW; gOH = OH; gOW = OW; gNTot = nTot; gFlags = flags; gCorr = corr;
}

@inline function corrAt(tbl: usize, i: i32): i32 {
  return tbl == 0 ? 0 : load<i32>(tbl + (<usize>i << 2));
}

@inline function floatOne(pix: i32, o: i32, d: i32, kv: f32): void {
  let y: f32 = gMul == 0 ? <f32>d : load<f32>(gMul + (<usize>o << 2)) * <f32>d;
  if (gKmap != 0) y = y * kv;
  if (gBias != 0) y = y + load<f32>(gBias + (<usize>o << 2));
  if (gFlags & FLAG_RELU) y = max<f32>(y, 0);
  store<f32>(gOut + (<usize>(pix * gO + o) << 2), y);
}

@inline function minusBit(o: i32, d: i32): u64 {
  const t = load<i32>(gThr + (<usize>o << 2));
  const plus = load<i32>(gDir + (<usize>o << 2)) < 0 ? d <= t : d >= t;
  return plus ? 0 : 1;
}

/** Emit output channels o0..o0+3 of pixel (n, oh, ow) from their XOR popcounts. */
export function emit4(n: i32, oh: i32, ow: i32, o0: i32, pc0: i32, pc1: i32, pc2: i32, pc3: i32): void {
  const pix = (n * gOH + oh) * gOW + ow;
  let tbl: usize = 0;
  if (gCorr != 0) {
    const nCC = load<i32>(gCorr, 4);
    const rc = load<i32>(gCorr + 8 + (<usize>oh << 2));
    const cc = load<i32>(gCorr + 8 + (<usize>(gOH + ow) << 2));
    if ((rc | cc) != 0) {
      tbl = gCorr + 8 + (<usize>(gOH + gOW + (rc * nCC + cc) * gO4 + o0) << 2);
    }
  }
  const d0 = gNTot - 2 * pc0 - corrAt(tbl, 0);
  const d1 = gNTot - 2 * pc1 - corrAt(tbl, 1);
  const d2 = gNTot - 2 * pc2 - corrAt(tbl, 2);
  const d3 = gNTot - 2 * pc3 - corrAt(tbl, 3);
  const nv = min(OB, gO - o0);
  if (gFlags & FLAG_PACKED) {
    let nib: u64 = minusBit(o0, d0);
    if (nv > 1) nib |= minusBit(o0 + 1, d1) << 1;
    if (nv > 2) nib |= minusBit(o0 + 2, d2) << 2;
    if (nv > 3) nib |= minusBit(o0 + 3, d3) << 3;
    const addr = gOut + (<usize>(pix * gOCW + (o0 >> 6)) << 3);
    store<u64>(addr, load<u64>(addr) | (nib << <u64>(o0 & 63)));
  } else {
    const kv: f32 = gKmap != 0 ? load<f32>(gKmap + (<usize>pix << 2)) : 1;
    floatOne(pix, o0, d0, kv);
    if (nv > 1) floatOne(pix, o0 + 1, d1, kv);
    if (nv > 2) floatOne(pix, o0 + 2, d2, kv);
    if (nv > 3) floatOne(pix, o0 + 3, d3, kv);
  }
}
