// The popcount roofline of this machine: words/s of a tight XOR+popcount loop over L1-resident data, the most
// a binary layer can do; `bench --profile` and bench/kernels.ts divide each layer's or kernel's words by it.
import { type PopcountStrategy, XnorKernels } from '../wasm/kernels.js';
import { median, sampleMs } from './stats.js';

/** Median milliseconds of `runs` calls after `warmup` untimed ones. */
export function timeIt(fn: () => void, runs = 25, warmup = 3): number {
  return median(sampleMs(fn, runs, warmup));
}

/** Fills `bytes` bytes at `ptr` from a seeded LCG. */
export function fillRandom(k: XnorKernels, ptr: number, bytes: number, seed: number): void {
  const u8 = k.u8();
  let s = seed >>> 0;
  for (let i = 0; i < bytes; i++) u8[ptr + i] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
}

export interface Roofline {
  /** 64-bit words XORed and popcounted per second, best strategy. */
  wordsPerSec: number;
  /** The roofline loop (xorPopcountSum) has the two plain strategies; the hybrid is a kernel shape. */
  strategy: Exclude<PopcountStrategy, 'hybrid'>;
  perStrategy: Record<Exclude<PopcountStrategy, 'hybrid'>, number>;
}

/** Times xorPopcountSum with each popcount strategy; memory it takes is released. */
export function roofline(k: XnorKernels): Roofline {
  const mark = k.mark();
  try {
    const words = 1024; // 2 x 8 KiB
    const a = k.alloc(words * 8), b = k.alloc(words * 8);
    fillRandom(k, a, words * 16 + 16, 7);
    const reps = 2000;
    const per = { scalar: 0, simd: 0 };
    for (const [name, id] of [['scalar', 0], ['simd', 1]] as const) {
      const ms = timeIt(() => k.exports.xorPopcountSum(a, b, words, reps, id), 21);
      per[name] = (words * reps) / (ms / 1000);
    }
    const strategy: Roofline['strategy'] = per.simd > per.scalar ? 'simd' : 'scalar';
    return { wordsPerSec: Math.max(per.scalar, per.simd), strategy, perStrategy: per };
  } finally {
    k.release(mark);
  }
}

/** The roofline on a fresh kernel instance (nothing else in its memory). */
export async function measureRoofline(): Promise<Roofline> {
  return roofline(await XnorKernels.load());
}
