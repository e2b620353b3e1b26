// f32 [rows, C] -> packed [rows, CW] u64 per docs/KERNELS.md "Bit convention".
import { wordsFor } from './bits';

// variant ids
const PLAIN: i32 = 0;
const THRESH: i32 = 1;
const AFFINE: i32 = 2;

/** "+1" lanes of 4 consecutive channels starting at channel c. */
@inline function plusLanes(variant: i32, v: v128, a: usize, b: usize, c: i32): v128 {
  const o = <usize>c << 2;
  if (variant == THRESH) {
    const t = v128.load(a + o);
    const neg = i32x4.lt_s(v128.load(b + o), i32x4.splat(0)); // dir < 0: x <= thr
    return v128.bitselect(f32x4.le(v, t), f32x4.ge(v, t), neg);
  } else if (variant == AFFINE) {
    // separate mul and add (wasm never fuses), so this equals the float reference exactly
    const y = f32x4.add(f32x4.mul(v, v128.load(a + o)), v128.load(b + o));
    return f32x4.ge(y, f32x4.splat(0));
  }
  return f32x4.ge(v, f32x4.splat(0));
}

@inline function plusScalar(variant: i32, x: f32, a: usize, b: usize, c: i32): bool {
  const o = <usize>c << 2;
  if (variant == THRESH) {
    const t = load<f32>(a + o);
    return load<i32>(b + o) < 0 ? x <= t : x >= t;
  } else if (variant == AFFINE) {
    const y: f32 = x * load<f32>(a + o) + load<f32>(b + o);
    return y >= 0;
  }
  return x >= 0;
}

/** The loop the variants share: a v128 compare producing "is +1" lanes, i32x4.bitmask, then the
 * bits inverted (bit 1 = -1) and masked to the real channels. */
@inline function packImpl(variant: i32, x: usize, out: usize, rows: i32, C: i32, a: usize, b: usize): void {
  const CW = wordsFor(C);
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>r * <usize>C << 2);
    const orow = out + (<usize>r * <usize>CW << 3);
    for (let w = 0; w < CW; w++) {
      const c0 = w << 6;
      const n = min(64, C - c0);
      let plus: u64 = 0; // bit set = +1 here; inverted at the end
      let c = 0;
      for (; c + 4 <= n; c += 4) {
        const v = v128.load(xr + (<usize>(c0 + c) << 2));
        plus |= <u64>i32x4.bitmask(plusLanes(variant, v, a, b, c0 + c)) << <u64>c;
      }
      for (; c < n; c++) {
        if (plusScalar(variant, load<f32>(xr + (<usize>(c0 + c) << 2)), a, b, c0 + c)) plus |= <u64>1 << <u64>c;
      }
      const mask: u64 = n == 64 ? <u64>-1 : ((<u64>1 << <u64>n) - 1);
      store<u64>(orow + (<usize>w << 3), ~plus & mask);
    }
  }
}

/** bit = (x >= 0) ? 0 : 1. */
export function pack(x: usize, out: usize, rows: i32, C: i32): void {
  packImpl(PLAIN, x, out, rows, C, 0, 0);
}

/** Per-channel thr (f32[C]) and dir (i32[C]): +1 iff dir >= 0 ? x >= thr : x <= thr. */
export function packThreshold(x: usize, out: usize, rows: i32, C: i32, thr: usize, dir: usize): void {
  packImpl(THRESH, x, out, rows, C, thr, dir);
}

/** Per-channel scale s and shift t (f32[C]): +1 iff f32(f32(x*s) + t) >= 0 (no fma). */
export function packAffine(x: usize, out: usize, rows: i32, C: i32, s: usize, t: usize): void {
  packImpl(AFFINE, x, out, rows, C, s, t);
}
