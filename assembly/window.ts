// The in-bounds taps of a conv/pool window along one axis: output `o` (stride S, pad P, dilation
// D >= 1, kernel K, input length L) reads input o*S - P + k*D for k in [validLo, validHi).

/** First in-bounds tap (taps are monotone in k, so the in-bounds ones are contiguous). */
@inline export function validLo(o: i32, S: i32, P: i32, D: i32, K: i32, L: i32): i32 {
  const i0 = o * S - P;
  return i0 >= 0 ? 0 : min(K, (D - 1 - i0) / D);
}

/** One past the last in-bounds tap; the range is empty when validLo >= validHi. */
@inline export function validHi(o: i32, S: i32, P: i32, D: i32, K: i32, L: i32): i32 {
  const i0 = o * S - P;
  return i0 >= L ? 0 : min(K, (L - 1 - i0) / D + 1);
}
