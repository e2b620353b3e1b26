// The kernel pool's policies (src/wasm/pool.ts), as pure functions. chunkBounds: every schedule
// covers [0, total) exactly once, in order; even chunks are ⌊total·i/n⌋; guided chunks shrink, so
// the last ones (those a descheduled thread can hold a job up with) are small. adaptSpin: the
// poll limit shrinks where polling never sees a wait end (two threads on one core) and stays
// up where most waits are short (free cores).
import { describe, expect, it } from 'vitest';
import { DEFAULT_TUNING, adaptSpin, chunkBounds } from '../../src/wasm/pool.js';

// ResNet-18's split totals (rows, pixels, outputs, elements) and small edge cases
const TOTALS = [1, 2, 3, 7, 49, 56, 112, 196, 784, 1000, 3136, 50176, 200704];
const THREADS = [2, 3, 4, 16];

describe('chunkBounds', () => {
  it.each(['even', 'guided'] as const)('%s: a partition of [0, total) into at most 256 non-empty chunks', (schedule) => {
    for (const total of TOTALS)
      for (const threads of THREADS)
        for (const chunksPerThread of [1, 2, 4, 8, 16]) {
          const b = chunkBounds(total, threads, { schedule, chunksPerThread });
          expect(b[0]).toBe(0);
          expect(b[b.length - 1]).toBe(total);
          expect(b.length - 1).toBeLessThanOrEqual(256);
          for (let i = 1; i < b.length; i++) expect(b[i]).toBeGreaterThan(b[i - 1]);
        }
  });

  it('even: min(total, threads·chunksPerThread) chunks, chunk i = [⌊total·i/n⌋, ⌊total·(i+1)/n⌋)', () => {
    for (const total of TOTALS)
      for (const threads of THREADS) {
        const b = chunkBounds(total, threads, { schedule: 'even', chunksPerThread: 4 });
        const n = Math.min(total, threads * 4, 256);
        expect(b).toEqual(Array.from({ length: n + 1 }, (_, i) => Math.floor((total * i) / n)));
      }
  });

  it('guided: chunks never grow, the first is ⌈total / (threads·chunksPerThread)⌉, the smallest about 1/64 of the job', () => {
    for (const total of TOTALS)
      for (const threads of THREADS) {
        const b = chunkBounds(total, threads, { schedule: 'guided', chunksPerThread: 4 });
        const sizes = b.slice(1).map((v, i) => v - b[i]);
        const least = Math.ceil(total / 64);
        expect(sizes[0]).toBe(Math.min(total, Math.max(least, Math.ceil(total / (threads * 4)))));
        // every chunk but the last (the remainder) is at least `least` and no larger than the one before
        for (let i = 1; i < sizes.length - 1; i++) {
          expect(sizes[i]).toBeLessThanOrEqual(sizes[i - 1]);
          expect(sizes[i]).toBeGreaterThanOrEqual(least);
        }
        if (threads <= 4 && total >= 3136) expect(sizes[sizes.length - 2]).toBeLessThan(sizes[0] / 2);
      }
  });

  it('an empty job has no chunks', () => {
    expect(chunkBounds(0, 2, { schedule: 'even', chunksPerThread: 4 })).toEqual([0]);
    expect(chunkBounds(0, 2, { schedule: 'guided', chunksPerThread: 4 })).toEqual([0]);
  });
});

describe('adaptSpin', () => {
  const max = DEFAULT_TUNING.inferenceSpin;
  /** The limits over a sequence of waits (probe every 16th, as the pool does); `slept(i)` < 0: the polls saw the end. */
  function run(waits: number, slept: (i: number, polled: number) => number): number[] {
    let limit = max;
    const out: number[] = [];
    for (let i = 1; i <= waits; i++) {
      const polled = i % 16 === 0 ? max : limit;
      limit = adaptSpin(limit, polled, max, slept(i, polled));
      out.push(limit);
    }
    return out;
  }

  it('two threads on one core: no poll sees a wait end, every sleep is long → the floor within 10 waits', () => {
    const limits = run(200, () => 0.2);
    expect(limits[9]).toBe(64);
    expect(Math.max(...limits.slice(10))).toBe(64);
    // one wait in four short: still mostly at the floor
    const mixed = run(200, (i) => (i % 4 === 0 ? 0.01 : 0.2)).slice(20).sort((a, b) => a - b);
    expect(mixed[mixed.length >> 1]).toBeLessThanOrEqual(128);
  });

  it('free cores: the polls see most waits end → stays at the full limit', () => {
    // every 5th wait outlasts the polls and sleeps long (a late chunk)
    const limits = run(200, (i) => (i % 5 === 0 ? 0.1 : -1));
    expect(Math.min(...limits)).toBeGreaterThanOrEqual(max / 2);
    expect(limits.filter((l) => l === max).length).toBeGreaterThan(150);
  });

  it('a short wait doubles the limit, a long one halves it; a probe that sees the end restores it', () => {
    expect(adaptSpin(256, 256, max, 0.01)).toBe(512);
    expect(adaptSpin(256, 256, max, 0.05)).toBe(128);
    expect(adaptSpin(256, 256, max, -1)).toBe(512);
    expect(adaptSpin(256, max, max, -1)).toBe(max);
    expect(adaptSpin(64, 64, max, 1)).toBe(64);
    // after the core frees up: short sleeps bring it back in 6 waits
    const limits = run(40, (i, polled) => (i <= 20 ? 0.2 : polled === max ? -1 : 0.01));
    expect(limits[19]).toBe(64);
    expect(limits[24]).toBe(2048);
    expect(limits[25]).toBe(max);
  });
});
