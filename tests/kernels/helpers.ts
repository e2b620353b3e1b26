// Shared helpers for the kernel tests: seeded data, the reference (src/reference/ops.ts, the
// spec) and a loader that keeps one instance per build per test file.
import { REF_OPS, type RefTensor } from '../../src/reference/ops.js';
import { OPS, resolveAttrs, type OpName } from '../../src/ops/spec.js';
import { XnorKernels } from '../../src/wasm/kernels.js';

export { mulberry32 } from '../helpers/rng.js';

export type Rng = () => number;
export const randInt = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
export const randSigns = (r: Rng, n: number) => Float32Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1));
export const randFloats = (r: Rng, n: number, scale = 1) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);

export const tensor = (shape: number[], data: Float32Array): RefTensor => ({ shape, data });

/** Runs the reference op of the spec: infers the output type, resolves attributes. */
export function refOp(op: OpName, ins: (RefTensor | undefined)[], attrs: Record<string, unknown> = {}): RefTensor {
  const a = resolveAttrs(op, attrs);
  const types = ins.map((t) => (t ? { dtype: 'f32' as const, shape: t.shape } : undefined));
  const out = OPS[op].infer(types, a);
  return { shape: out.shape, data: REF_OPS[op](ins, a, out) };
}

export type Build = 'release' | 'debug' | 'plain' | 'relaxed' | 'fma';
const loaded = new Map<Build, Promise<XnorKernels>>();
const RELAXED_URL = new URL('../../src/wasm/xnor.relaxed.wasm', import.meta.url);
const FMA_URL = new URL('../../src/wasm/xnor.fma.wasm', import.meta.url);
/**
 * 'release': the build the loader picks by default (xnor.relaxed.wasm here: vitest.config.ts
 * gives Node 20 relaxed SIMD); 'plain': xnor.wasm; 'relaxed' and 'fma': xnor.relaxed.wasm and
 * xnor.fma.wasm by path, so an engine without relaxed SIMD fails rather than falls back;
 * 'debug': asserts on (plain).
 */
export function kernels(build: Build = 'release'): Promise<XnorKernels> {
  let k = loaded.get(build);
  if (!k) {
    const opts = { release: {}, debug: { debug: true }, plain: { relaxedSimd: false }, relaxed: { source: RELAXED_URL }, fma: { source: FMA_URL } }[build];
    loaded.set(build, (k = XnorKernels.load(opts)));
  }
  return k;
}

/** The two float flavours every float-kernel test runs on: mul + add, and FMA (relaxed_madd). */
export const FLOAT_BUILDS = ['plain', 'fma'] as const;

/** First index where a and b differ beyond tol(ref) (exact when tol is omitted), or -1. */
export function firstMismatch(got: ArrayLike<number>, want: ArrayLike<number>, tol?: (i: number) => number): number {
  if (got.length !== want.length) return 0;
  for (let i = 0; i < got.length; i++) {
    const g = got[i], w = want[i];
    if (tol) {
      if (!(Math.abs(g - w) <= tol(i))) return i;
    } else if (!Object.is(g, w) && !(g === w)) {
      return i;
    }
  }
  return -1;
}

export function describeMismatch(got: ArrayLike<number>, want: ArrayLike<number>, i: number): string {
  return i < 0 ? 'ok' : `index ${i}: got ${got[i]}, want ${want[i]} (lengths ${got.length}/${want.length})`;
}

/**
 * Items (output pixels or rows) [⌊total·t/parts⌋, ⌊total·(t+1)/parts⌋) of thread t, as the
 * kernel pool splits them (pixel boundaries fall inside output rows).
 */
export const splitRanges = (total: number, parts: number) =>
  Array.from({ length: parts }, (_, t) => [Math.floor((total * t) / parts), Math.floor((total * (t + 1)) / parts)] as const);

/**
 * Runs `range(from, to, t)` for every part but part 1 (in reverse order), checks that part 1's
 * output bytes still hold the garbage they were filled with, then runs part 1. Returns a
 * failure description or null. `itemBytes`: output bytes per pixel (or row).
 */
export function runSplit(k: XnorKernels, out: number, total: number, itemBytes: number, parts: number,
  range: (px0: number, px1: number, t: number) => void): string | null {
  const ranges = splitRanges(total, parts);
  k.u8().fill(0xa5, out, out + total * itemBytes);
  for (let t = parts - 1; t >= 0; t--) if (t !== 1) range(ranges[t][0], ranges[t][1], t);
  const [a, b] = ranges[1];
  const held = k.u8().subarray(out + a * itemBytes, out + b * itemBytes);
  const j = held.findIndex((v) => v !== 0xa5);
  if (j >= 0) return `items [${a}, ${b}) of thread 1 were written by the other threads' ranges (byte ${j})`;
  range(a, b, 1);
  return null;
}
