// Shared by the engines: the benchmark input and the timing loop.

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

/** Runs `warmup` untimed runs (the first one timed apart), then `runs` timed ones. */
export async function timeRuns(run: () => unknown, warmup: number, runs: number): Promise<{ first: number; times: number[] }> {
  let first = 0;
  for (let i = 0; i < warmup; i++) {
    const t0 = performance.now();
    await run();
    if (i === 0) first = performance.now() - t0;
  }
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  return { first, times };
}
