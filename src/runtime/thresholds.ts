// Exact folding of "binary conv → output transform → BatchNorm → sign" into one integer
// threshold per output channel, so a binary layer can write packed bits for the next one.

const f = Math.fround;

export interface Thresholds {
  /** +1 iff dot >= thr (dir = 1) or dot <= thr (dir = −1). */
  thr: Int32Array;
  dir: Int32Array;
}

// The ±1 dot product takes only integer values in [−K, K]. Every step of the float chain
//   y = f32(f32(mul·dot) + bias); y = relu(y)?; z = f32(f32(y·scale) + shift); bit = z >= 0
// is monotone in dot (f32 rounding is monotone), so the set of dots that give +1 is an
// interval touching one end of [−K, K]. Evaluating the chain at every integer finds it
// exactly: the packed kernel then reproduces the unfused float graph bit for bit.
/**
 * Returns null when a parameter is not finite (then monotonicity is not guaranteed and the
 * caller keeps the unfused ops). Binary search per channel: O(O·log K) worst case.
 */
export function foldSignThresholds(
  k: number,
  mul: Float32Array,
  bias: Float32Array,
  relu: boolean,
  scale: Float32Array,
  shift: Float32Array,
): Thresholds | null {
  const o = mul.length;
  const thr = new Int32Array(o);
  const dir = new Int32Array(o);
  for (let c = 0; c < o; c++) {
    const m = mul[c], b = bias[c], sc = scale[c], sh = shift[c];
    if (!(Number.isFinite(m) && Number.isFinite(b) && Number.isFinite(sc) && Number.isFinite(sh))) return null;
    const atLo = plus(-k, m, b, relu, sc, sh);
    const atHi = plus(k, m, b, relu, sc, sh);
    dir[c] = 1;
    if (atLo && atHi) thr[c] = -k;
    else if (!atLo && !atHi) thr[c] = k + 1;
    else {
      // Invariant: plus(lo) === atLo, plus(hi) === atHi; narrow to adjacent integers.
      let lo = -k;
      let hi = k;
      // Start near the real-valued crossing of (m·d + b)·sc + sh: two evaluations of the exact
      // chain bracket it (each end is taken only if it keeps the invariant), so the search
      // takes ~4 steps instead of log2(2k). A NaN guess (m or sc zero) skips this.
      const guess = Math.round((-sh / sc - b) / m);
      if (guess - 2 > lo && guess + 2 < hi) {
        if (plus(guess - 2, m, b, relu, sc, sh) === atLo) lo = guess - 2;
        if (plus(guess + 2, m, b, relu, sc, sh) === atHi) hi = guess + 2;
      }
      while (hi - lo > 1) {
        const mid = lo + ((hi - lo) >> 1);
        if (plus(mid, m, b, relu, sc, sh) === atLo) lo = mid;
        else hi = mid;
      }
      if (atHi) thr[c] = hi;
      else {
        thr[c] = lo;
        dir[c] = -1;
      }
    }
  }
  return { thr, dir };
}

/** The unfused float chain at dot product `d`: true when the sign is +1. */
function plus(d: number, mul: number, bias: number, relu: boolean, scale: number, shift: number): boolean {
  let y = f(f(mul * d) + bias);
  if (relu && y < 0) y = 0;
  return f(f(y * scale) + shift) >= 0;
}
