// The exact integer stem's load-time check (assembly/float/istem.ts, docs/KERNELS.md
// "Integer stem").

export interface IntegerGrid {
  /** Integer weights, same layout as w: w = q · g[o]. */
  q: Int32Array;
  /** Grid step of each output channel (a power of two). */
  g: Float32Array;
  /**
   * Largest input magnitude for which the float conv is exact (every partial sum is a multiple
   * of g[o] below 2^24 · g[o]), so the integer result equals it bit for bit; at most 32767 (i16).
   */
  limit: number;
}

/** Exponent e of the lowest set bit of a nonzero finite v: v = odd · 2^e. */
function lowBit(v: number): number {
  let t = Math.abs(v);
  let e = 0;
  while (!Number.isInteger(t)) { t *= 2; e--; }
  while (t % 2 === 0) { t /= 2; e++; }
  return e;
}

// A Conv2D marked `integerStem` in the .xnn (its weights lie on a power-of-two grid per
// output channel) runs as an i16 dot product when the weights pass this check and, at run
// time, the input is integers with |x| <= limit; otherwise it runs the float conv.
/**
 * w: f32 [O, ...] (OHWI). The coarsest power-of-two grid per output channel, or null when a
 * weight is not finite, a grid is finer than 2^-100, |q| exceeds 32767, or no input range is left.
 */
export function integerGrid(w: Float32Array, o: number): IntegerGrid | null {
  const per = w.length / o;
  const q = new Int32Array(w.length);
  const g = new Float32Array(o);
  let maxSum = 0;
  for (let c = 0; c < o; c++) {
    let e = Infinity;
    for (let i = c * per; i < (c + 1) * per; i++) {
      if (!Number.isFinite(w[i])) return null;
      if (w[i] !== 0) e = Math.min(e, lowBit(w[i]));
    }
    if (e === Infinity) e = 0;
    if (e < -100) return null;
    g[c] = 2 ** e;
    let sum = 0;
    for (let i = c * per; i < (c + 1) * per; i++) {
      const v = w[i] / g[c];
      if (!Number.isInteger(v) || Math.abs(v) > 32767) return null;
      q[i] = v;
      sum += Math.abs(v);
    }
    maxSum = Math.max(maxSum, sum);
  }
  const limit = Math.min(32767, Math.floor(2 ** 24 / Math.max(1, maxSum)));
  return limit >= 1 ? { q, g, limit } : null;
}
