// Shared by the engines: the benchmark input.

/** n values in [0, 1) from a fixed LCG: every engine sees the same pixels (in its own layout). */
export function randomInput(n: number, seed = 0x2545f491): Float32Array {
  const x = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2 ** 32;
  }
  return x;
}
