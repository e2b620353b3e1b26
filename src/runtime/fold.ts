// Exact folding of "binary conv → output transform → BatchNorm → sign" into one integer
// threshold per output channel, so a binary layer can write packed bits for the next one.
//
// The ±1 dot product takes only integer values in [−K, K]. Every step of the float chain
//   y = f32(f32(mul·dot) + bias); y = relu(y)?; z = f32(f32(y·scale) + shift); bit = z >= 0
// is monotone in dot (f32 rounding is monotone), so the set of dots that give +1 is an
// interval touching one end of [−K, K]. Evaluating the chain at every integer finds it
// exactly: the packed kernel then reproduces the unfused float graph bit for bit.

const f = Math.fround;

export interface Thresholds {
  /** +1 iff dot >= thr (dir = 1) or dot <= thr (dir = −1). */
  thr: Int32Array;
  dir: Int32Array;
}

/**
 * Returns null when a parameter is not finite (then monotonicity is not guaranteed and the
 * caller keeps the unfused ops). Binary search per channel: O(O·log K).
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
    if (![mul[c], bias[c], scale[c], shift[c]].every(Number.isFinite)) return null;
    const plus = (d: number) => {
      let y = f(f(mul[c] * d) + bias[c]);
      if (relu && y < 0) y = 0;
      return f(f(y * scale[c]) + shift[c]) >= 0;
    };
    const atLo = plus(-k);
    const atHi = plus(k);
    dir[c] = 1;
    if (atLo && atHi) thr[c] = -k;
    else if (!atLo && !atHi) thr[c] = k + 1;
    else {
      // Invariant: plus(lo) === atLo, plus(hi) === atHi; narrow to adjacent integers.
      let lo = -k;
      let hi = k;
      while (hi - lo > 1) {
        const mid = lo + ((hi - lo) >> 1);
        if (plus(mid) === atLo) lo = mid;
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
