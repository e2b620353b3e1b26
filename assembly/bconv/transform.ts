// Output transforms of the binary conv over a tile of raw XOR popcounts (kernel.ts), vectorised
// over output channels; the algebra is docs/KERNELS.md "Output transform algebra".
import { wordsFor } from '../bits';
import { ConvParams, OutputTransform, FLAG_PACKED, FLAG_RELU } from '../abi';
import { blockedO } from './prepare';

/** Correction row (i32 [O4]) of output position (oh, ow), or 0 when it needs none. */
@inline function corrRow(corr: usize, OH: i32, OW: i32, O4: i32, oh: i32, ow: i32): usize {
  if (corr == 0) return 0;
  const nCC = load<i32>(corr, 4);
  const rc = load<i32>(corr + 8 + (<usize>oh << 2));
  const cc = load<i32>(corr + 8 + (<usize>(OH + ow) << 2));
  if ((rc | cc) == 0) return 0;
  return corr + 8 + (<usize>(OH + OW + (rc * nCC + cc) * O4) << 2);
}

@inline function dotAt(nTot: i32, pc: usize, tbl: usize, o: i32): i32 {
  const c = tbl == 0 ? 0 : load<i32>(tbl + (<usize>o << 2));
  return nTot - 2 * load<i32>(pc + (<usize>o << 2)) - c;
}

/**
 * Transforms `tn` output pixels (n, oh, ow0 .. ow0+tn-1) whose popcounts are at `pc`
 * (pixel i at pc + i*O4*4) into `out`; `corr` is tr.corr where the conv needs the correction, else 0.
 * 4 channels per i32x4/f32x4, f32 in the scalar definition's order (lane-wise = scalar); channel
 * tails (O % 4 != 0) go lane by lane, so nothing past O is read or written.
 */
export function transformTile(p: ConvParams, tr: OutputTransform, out: usize, corr: usize,
  pc: usize, n: i32, oh: i32, ow0: i32, tn: i32): void {
  const O = p.o, O4 = blockedO(O), Ofull = O & ~3, OH = p.oh, OW = p.ow, flags = p.flags;
  const nTot = p.kh * p.kw * p.c;
  const pcStride = <usize>O4 << 2;
  const nv = i32x4.splat(nTot);
  const pix0 = (n * OH + oh) * OW + ow0;
  if (flags & FLAG_PACKED) {
    const OCW = wordsFor(O), thr = tr.thr, dir = tr.dir;
    for (let i = 0; i < tn; i++) {
      const q = pc + <usize>i * pcStride;
      const tbl = corrRow(corr, OH, OW, O4, oh, ow0 + i);
      const dst = out + (<usize>((pix0 + i) * OCW) << 3);
      for (let wi = 0; wi < OCW; wi++) {
        const oEnd = min(Ofull, (wi + 1) << 6);
        let bits: u64 = 0;
        let o = wi << 6;
        for (; o < oEnd; o += 4) {
          const ob = <usize>o << 2;
          let d = i32x4.sub(nv, i32x4.shl(v128.load(q + ob), 1));
          if (tbl != 0) d = i32x4.sub(d, v128.load(tbl + ob));
          const t = v128.load(thr + ob);
          const neg = i32x4.lt_s(v128.load(dir + ob), i32x4.splat(0));
          const plus = v128.bitselect(i32x4.le_s(d, t), i32x4.ge_s(d, t), neg);
          bits |= <u64>i32x4.bitmask(v128.not(plus)) << <u64>(o & 63);
        }
        // channel tail (O % 4): lane by lane, never past O
        const oTail = min(O, (wi + 1) << 6);
        for (; o < oTail; o++) {
          const d = dotAt(nTot, q, tbl, o);
          const t = load<i32>(thr + (<usize>o << 2));
          const plus = load<i32>(dir + (<usize>o << 2)) < 0 ? d <= t : d >= t;
          if (!plus) bits |= <u64>1 << <u64>(o & 63);
        }
        store<u64>(dst + (<usize>wi << 3), bits);
      }
    }
    return;
  }
  const relu = (flags & FLAG_RELU) != 0;
  const mul = tr.mul, bias = tr.bias, kmap = tr.kmap;
  const hasMul = mul != 0, hasBias = bias != 0, hasK = kmap != 0;
  const zero = f32x4.splat(0);
  for (let i = 0; i < tn; i++) {
    const q = pc + <usize>i * pcStride;
    const tbl = corrRow(corr, OH, OW, O4, oh, ow0 + i);
    const pix = pix0 + i;
    const kv: f32 = hasK ? load<f32>(kmap + (<usize>pix << 2)) : 1;
    const kvv = f32x4.splat(kv);
    const dst = out + (<usize>(pix * O) << 2);
    let o = 0;
    for (; o < Ofull; o += 4) {
      const ob = <usize>o << 2;
      let d = i32x4.sub(nv, i32x4.shl(v128.load(q + ob), 1));
      if (tbl != 0) d = i32x4.sub(d, v128.load(tbl + ob));
      let y = f32x4.convert_i32x4_s(d);
      if (hasMul) y = f32x4.mul(v128.load(mul + ob), y);
      if (hasK) y = f32x4.mul(y, kvv);
      if (hasBias) y = f32x4.add(y, v128.load(bias + ob));
      if (relu) y = f32x4.max(y, zero);
      v128.store(dst + ob, y);
    }
    for (; o < O; o++) {
      const d = dotAt(nTot, q, tbl, o);
      let y: f32 = hasMul ? load<f32>(mul + (<usize>o << 2)) * <f32>d : <f32>d;
      if (hasK) y = y * kv;
      if (hasBias) y = y + load<f32>(bias + (<usize>o << 2));
      if (relu) y = max<f32>(y, 0);
      store<f32>(dst + (<usize>o << 2), y);
    }
  }
}
