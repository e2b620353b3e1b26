// XNOR-Net input scale map K (Rastegari et al. 2016, sec. 3.2):
//   A[n,h,w] = mean_c |x[n,h,w,c]|;  K = A (*) box(KH x KW) / (KH*KW) with the conv's stride,
//   dilation and pads, zero padded. K feeds bconv2d's `kmap` (y = mul*dot*K + bias).
import { geti, P_N, P_H, P_W, P_C, P_KH, P_KW, P_SH, P_SW, P_DH, P_DW, P_PT, P_PL, P_OH, P_OW } from '../params';

/** Bytes of scratch kmap needs (the A map): N*H*W*4. */
export function kmapScratchBytes(p: usize): i32 {
  return geti(p, P_N) * geti(p, P_H) * geti(p, P_W) * 4;
}

/** x f32 NHWC [N,H,W,C] -> y f32 [N,OH,OW]; scratch: kmapScratchBytes(p). */
export function kmap(p: usize, x: usize, y: usize, scratch: usize): void {
  const N = geti(p, P_N), H = geti(p, P_H), W = geti(p, P_W), C = geti(p, P_C);
  const KH = geti(p, P_KH), KW = geti(p, P_KW), SH = geti(p, P_SH), SW = geti(p, P_SW);
  const DH = geti(p, P_DH), DW = geti(p, P_DW), PT = geti(p, P_PT), PL = geti(p, P_PL);
  const OH = geti(p, P_OH), OW = geti(p, P_OW);
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
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * SH - PT + kh * DH;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * SW - PL + kw * DW;
            if (iw < 0 || iw >= W) continue;
            t += load<f32>(scratch + (<usize>((n * H + ih) * W + iw) << 2));
          }
        }
        store<f32>(y + (<usize>((n * OH + oh) * OW + ow) << 2), t * inv);
      }
    }
  }
}
