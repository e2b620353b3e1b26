// Float pools over NHWC f32 with ConvParams (abi.ts; C = channels).
// Vectorised over channels (contiguous in NHWC); windows test bounds per tap (pools are cheap).
import { convParams } from '../abi';
import { validHi, validLo } from '../window';

/**
 * kind 0: max (padded taps ignored; an all-padding window gives -Infinity).
 * kind 1: average; countIncludePad != 0 divides by KH*KW, else by the in-bounds tap count
 * (0 taps -> 0).
 */
@inline function poolImpl(p: usize, x: usize, y: usize, isMax: bool, countIncludePad: i32, r0: i32, r1: i32): void {
  const prm = convParams(p);
  const N = prm.n, H = prm.h, W = prm.w, C = prm.c;
  const KH = prm.kh, KW = prm.kw, SH = prm.sh, SW = prm.sw;
  const DH = prm.dh, DW = prm.dw, PT = prm.pt, PL = prm.pl;
  const OH = prm.oh, OW = prm.ow;
  const init: f32 = isMax ? -Infinity : 0;
  for (let r = r0; r < r1; r++) {
    const n = r / OH, oh = r % OH;
    {
      for (let ow = 0; ow < OW; ow++) {
        const o = y + (<usize>(((n * OH + oh) * OW + ow) * C) << 2);
        for (let c = 0; c < C; c++) store<f32>(o + (<usize>c << 2), init);
        let count = 0;
        const kh1 = validHi(oh, SH, PT, DH, KH, H), kw0 = validLo(ow, SW, PL, DW, KW, W), kw1 = validHi(ow, SW, PL, DW, KW, W);
        for (let kh = validLo(oh, SH, PT, DH, KH, H); kh < kh1; kh++) {
          const ih = oh * SH - PT + kh * DH;
          for (let kw = kw0; kw < kw1; kw++) {
            const iw = ow * SW - PL + kw * DW;
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
  const prm = convParams(p);
  poolImpl(p, x, y, true, 0, 0, prm.n * prm.oh);
}

/** Output rows [r0, r1) of the flattened [N, OH] (a thread's share; t unused); any split equals fmaxpool. */
export function fmaxpoolRange(r0: i32, r1: i32, t: i32, p: usize, x: usize, y: usize): void {
  poolImpl(p, x, y, true, 0, r0, r1);
}

export function favgpool(p: usize, x: usize, y: usize, countIncludePad: i32): void {
  const prm = convParams(p);
  poolImpl(p, x, y, false, countIncludePad, 0, prm.n * prm.oh);
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
