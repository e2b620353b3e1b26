// Float pools over NHWC f32 with the params struct (params.ts; C = channels).
// Vectorised over channels (contiguous in NHWC); windows test bounds per tap (pools are cheap).
import { geti, P_N, P_H, P_W, P_C, P_KH, P_KW, P_SH, P_SW, P_DH, P_DW, P_PT, P_PL, P_OH, P_OW } from '../params';

/**
 * kind 0: max (padded taps ignored; an all-padding window gives -Infinity).
 * kind 1: average; countIncludePad != 0 divides by KH*KW, else by the in-bounds tap count
 * (0 taps -> 0).
 */
@inline function poolImpl(p: usize, x: usize, y: usize, isMax: bool, countIncludePad: i32, r0: i32, r1: i32): void {
  const N = geti(p, P_N), H = geti(p, P_H), W = geti(p, P_W), C = geti(p, P_C);
  const KH = geti(p, P_KH), KW = geti(p, P_KW), SH = geti(p, P_SH), SW = geti(p, P_SW);
  const DH = geti(p, P_DH), DW = geti(p, P_DW), PT = geti(p, P_PT), PL = geti(p, P_PL);
  const OH = geti(p, P_OH), OW = geti(p, P_OW);
  const init: f32 = isMax ? -Infinity : 0;
  for (let r = r0; r < r1; r++) {
    const n = r / OH, oh = r % OH;
    {
      for (let ow = 0; ow < OW; ow++) {
        const o = y + (<usize>(((n * OH + oh) * OW + ow) * C) << 2);
        for (let c = 0; c < C; c++) store<f32>(o + (<usize>c << 2), init);
        let count = 0;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * SH - PT + kh * DH;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * SW - PL + kw * DW;
            if (iw < 0 || iw >= W) continue;
            count++;
            const s = x + (<usize>(((n * H + ih) * W + iw) * C) << 2);
            let c = 0;
            for (; c + 4 <= C; c += 4) {
              const b = <usize>c << 2;
              const a = v128.load(o + b), v = v128.load(s + b);
              v128.store(o + b, isMax ? f32x4.pmax(a, v) : f32x4.add(a, v));
            }
            for (; c < C; c++) {
              const b = <usize>c << 2;
              const a = load<f32>(o + b), v = load<f32>(s + b);
              store<f32>(o + b, isMax ? (v > a ? v : a) : a + v);
            }
          }
        }
        if (!isMax) {
          const div = countIncludePad != 0 ? KH * KW : count;
          for (let c = 0; c < C; c++) {
            const b = <usize>c << 2;
            store<f32>(o + b, div == 0 ? 0 : load<f32>(o + b) / <f32>div);
          }
        }
      }
    }
  }
}

export function fmaxpool(p: usize, x: usize, y: usize): void {
  poolImpl(p, x, y, true, 0, 0, geti(p, P_N) * geti(p, P_OH));
}

/** Output rows [r0, r1) of the flattened [N, OH] (a thread's share; t unused); any split equals fmaxpool. */
export function fmaxpoolRange(r0: i32, r1: i32, t: i32, p: usize, x: usize, y: usize): void {
  poolImpl(p, x, y, true, 0, r0, r1);
}

export function favgpool(p: usize, x: usize, y: usize, countIncludePad: i32): void {
  poolImpl(p, x, y, false, countIncludePad, 0, geti(p, P_N) * geti(p, P_OH));
}

/** x [N][HW][C] -> y [N][C]: mean over the HW pixels. */
export function fglobalAvgPool(x: usize, y: usize, N: i32, HW: i32, C: i32): void {
  for (let n = 0; n < N; n++) {
    const yo = y + (<usize>(n * C) << 2);
    memory.fill(yo, 0, <usize>C << 2);
    for (let i = 0; i < HW; i++) {
      const s = x + (<usize>((n * HW + i) * C) << 2);
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const b = <usize>c << 2;
        v128.store(yo + b, f32x4.add(v128.load(yo + b), v128.load(s + b)));
      }
      for (; c < C; c++) {
        const b = <usize>c << 2;
        store<f32>(yo + b, load<f32>(yo + b) + load<f32>(s + b));
      }
    }
    for (let c = 0; c < C; c++) {
      const b = <usize>c << 2;
      store<f32>(yo + b, load<f32>(yo + b) / <f32>HW);
    }
  }
}
