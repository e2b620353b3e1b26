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

// Blocked weights: the same sums from one sequential weight stream instead of 4 row streams,
// which the hardware prefetcher follows better when the weights come from memory (fc layers:
// MBs read once per inference; bench/results/code-notes.md).

/** Bytes of fdensePrepareBlocked's layout: O rounded up to 4 rows of K floats. */
export function fdenseBlockedBytes(K: i32, O: i32): i32 {
  return ((O + 3) & ~3) * K * 4;
}

/**
 * w: row-major [O][K] -> out: per block of 4 rows, [K/4][4 rows][4] (the f32x4 steps) then
 * [K%4][4 rows] (the scalar tail); rows past O are 0.
 */
export function fdensePrepareBlocked(w: usize, out: usize, K: i32, O: i32): void {
  const K4 = K & ~3, blockB = <usize>K << 4;
  memory.fill(out, 0, <usize>fdenseBlockedBytes(K, O));
  for (let o = 0; o < O; o++) {
    const blk = out + <usize>(o >> 2) * blockB, i = o & 3;
    const row = w + (<usize>o * <usize>K << 2);
    for (let k = 0; k < K4; k++)
      store<f32>(blk + (<usize>(((k >> 2) << 4) + (i << 2) + (k & 3)) << 2), load<f32>(row + (<usize>k << 2)));
    const tail = blk + (<usize>K4 << 4);
    for (let k = K4; k < K; k++) store<f32>(tail + (<usize>(((k - K4) << 2) + i) << 2), load<f32>(row + (<usize>k << 2)));
  }
}

/** fdense's outputs [o0, o1) from blocked weights: the same instructions per output, so the same bits. */
@inline function denseBlockedImpl(x: usize, wb: usize, b: usize, y: usize, N: i32, K: i32, O: i32, relu: i32, o0: i32, o1: i32): void {
  const rowB = <usize>K << 2, blockB = <usize>K << 4;
  const K4 = K & ~3;
  for (let n = 0; n < N; n++) {
    const xn = x + <usize>n * rowB;
    for (let ob = o0 >> 2; (ob << 2) < o1; ob++) {
      let p = wb + <usize>ob * blockB;
      let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
      const pEnd = p + (<usize>K4 << 4);
      let px = xn;
      while (p < pEnd) {
        const xv = v128.load(px);
        a0 = madd(xv, v128.load(p), a0);
        a1 = madd(xv, v128.load(p, 16), a1);
        a2 = madd(xv, v128.load(p, 32), a2);
        a3 = madd(xv, v128.load(p, 48), a3);
        p += 64; px += 16;
      }
      let s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
      for (let k = K4; k < K; k++) {
        const xv = load<f32>(xn + (<usize>k << 2));
        s0 += xv * load<f32>(p); s1 += xv * load<f32>(p, 4);
        s2 += xv * load<f32>(p, 8); s3 += xv * load<f32>(p, 12);
        p += 16;
      }
      const yo = y + (<usize>(n * O) << 2);
      const oa = max(ob << 2, o0), oz = min((ob << 2) + 4, o1);
      for (let o = oa; o < oz; o++) {
        const i = o & 3;
        let v: f32 = i == 0 ? s0 : i == 1 ? s1 : i == 2 ? s2 : s3;
        if (b != 0) v += load<f32>(b + (<usize>o << 2));
        if (relu) v = max<f32>(v, 0);
        store<f32>(yo + (<usize>o << 2), v);
      }
    }
  }
}

/** fdense with weights from fdensePrepareBlocked: the same bits. */
export function fdenseBlocked(x: usize, wb: usize, b: usize, y: usize, N: i32, K: i32, O: i32, relu: i32): void {
  denseBlockedImpl(x, wb, b, y, N, K, O, relu, 0, O);
}

/** Outputs [o0, o1) of every row of fdenseBlocked (a thread's share; t unused); any split equals it. */
export function fdenseBlockedRange(o0: i32, o1: i32, t: i32, x: usize, wb: usize, b: usize, y: usize, N: i32, K: i32, O: i32, relu: i32): void {
  denseBlockedImpl(x, wb, b, y, N, K, O, relu, o0, o1);
}
