// XNOR-Net input scale map K (Rastegari et al. 2016, sec. 3.2): A = mean_c |x|, K = A (*) box(KH x KW) / (KH*KW)
// with the conv's stride, dilation and pads, zero padded; feeds bconv2d's `kmap` (y = mul*dot*K + bias).
import { convParams } from '../abi';
import { validHi, validLo } from '../window';

/** Bytes of scratch kmap needs (the A map): N*H*W*4. */
export function kmapScratchBytes(p: usize): i32 {
  const prm = convParams(p);
  return prm.n * prm.h * prm.w * 4;
}

/** x f32 NHWC [N,H,W,C] -> y f32 [N,OH,OW]; scratch: kmapScratchBytes(p). */
export function kmap(p: usize, x: usize, y: usize, scratch: usize): void {
  const prm = convParams(p);
  const N = prm.n, H = prm.h, W = prm.w, C = prm.c;
  const KH = prm.kh, KW = prm.kw, SH = prm.sh, SW = prm.sw;
  const DH = prm.dh, DW = prm.dw, PT = prm.pt, PL = prm.pl;
  const OH = prm.oh, OW = prm.ow;
  const pixels = N * H * W;
  for (let i = 0; i < pixels; i++) {
    const s = x + (<usize>(i * C) << 2);
    let acc = f32x4.splat(0);
    let c = 0;
    for (; c + 4 <= C; c += 4) acc = f32x4.add(acc, f32x4.abs(v128.load(s + (<usize>c << 2))));
    let t: f32 = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
    for (; c < C; c++) t += Mathf.abs(load<f32>(s + (<usize>c << 2)));
    store<f32>(scratch + (<usize>i << 2), t / <f32>C);
  }
  const inv: f32 = <f32>1 / <f32>(KH * KW);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let t: f32 = 0;
        const kh1 = validHi(oh, SH, PT, DH, KH, H), kw0 = validLo(ow, SW, PL, DW, KW, W), kw1 = validHi(ow, SW, PL, DW, KW, W);
        for (let kh = validLo(oh, SH, PT, DH, KH, H); kh < kh1; kh++) {
          const ih = oh * SH - PT + kh * DH;
          for (let kw = kw0; kw < kw1; kw++) {
            const iw = ow * SW - PL + kw * DW;
            t += load<f32>(scratch + (<usize>((n * H + ih) * W + iw) << 2));
          }
        }
        store<f32>(y + (<usize>((n * OH + oh) * OW + ow) << 2), t * inv);
      }
    }
  }
}
