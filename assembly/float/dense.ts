// Float dense: y[n][o] = sum_k x[n][k] * w[o][k] + b[o] (w row-major [O][K], i.e. x·wᵀ),
// optional ReLU. f32x4 over K with 4 output rows per pass (x loads shared).
import { madd } from './madd';

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** Outputs [o0, o1) of every row; each output's sum is the same instructions wherever it falls. */
@inline function denseImpl(x: usize, w: usize, b: usize, y: usize, N: i32, K: i32, O: i32, relu: i32, o0: i32, o1: i32): void {
  const rowB = <usize>K << 2;
  for (let n = 0; n < N; n++) {
    const xn = x + <usize>n * rowB;
    let o = o0;
    for (; o < o1; o += 4) {
      const r0 = w + <usize>o * rowB;
      const r1 = w + <usize>min(o + 1, o1 - 1) * rowB;
      const r2 = w + <usize>min(o + 2, o1 - 1) * rowB;
      const r3 = w + <usize>min(o + 3, o1 - 1) * rowB;
      let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
      let k = 0;
      for (; k + 4 <= K; k += 4) {
        const off = <usize>k << 2;
        const xv = v128.load(xn + off);
        a0 = madd(xv, v128.load(r0 + off), a0);
        a1 = madd(xv, v128.load(r1 + off), a1);
        a2 = madd(xv, v128.load(r2 + off), a2);
        a3 = madd(xv, v128.load(r3 + off), a3);
      }
      let s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
      for (; k < K; k++) {
        const off = <usize>k << 2;
        const xv = load<f32>(xn + off);
        s0 += xv * load<f32>(r0 + off); s1 += xv * load<f32>(r1 + off);
        s2 += xv * load<f32>(r2 + off); s3 += xv * load<f32>(r3 + off);
      }
      const yo = y + (<usize>(n * O) << 2);
      for (let i = 0; i < 4 && o + i < o1; i++) {
        let v: f32 = i == 0 ? s0 : i == 1 ? s1 : i == 2 ? s2 : s3;
        if (b != 0) v += load<f32>(b + (<usize>(o + i) << 2));
        if (relu) v = max<f32>(v, 0);
        store<f32>(yo + (<usize>(o + i) << 2), v);
      }
    }
  }
}

export function fdense(x: usize, w: usize, b: usize, y: usize, N: i32, K: i32, O: i32, relu: i32): void {
  denseImpl(x, w, b, y, N, K, O, relu, 0, O);
}

/** Outputs [o0, o1) of every row of fdense (a thread's share; t unused); any split equals fdense. */
export function fdenseRange(o0: i32, o1: i32, t: i32, x: usize, w: usize, b: usize, y: usize, N: i32, K: i32, O: i32, relu: i32): void {
  denseImpl(x, w, b, y, N, K, O, relu, o0, o1);
}
