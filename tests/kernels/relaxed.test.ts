// The two float flavours (assembly/float/madd.ts): xnor.wasm multiplies then adds (two
// roundings), xnor.relaxed.wasm fuses them (f32x4.relaxed_madd: one rounding on CPUs with FMA,
// which V8 uses on x86-64 with FMA3 and on every arm64). One input tells them apart:
// −(1+2⁻¹¹) + (1+2⁻¹²)² is exactly 2⁻²⁴, but the rounded product is 1+2⁻¹¹ (a tie, to even),
// so mul + add gives 0.
import { existsSync, readFileSync } from 'node:fs';
import { arch } from 'node:os';
import { describe, expect, it } from 'vitest';
import { XnorKernels } from '../../src/wasm/kernels.js';
import { FLOAT_BUILDS, kernels } from './helpers.js';

const A = 1 + 2 ** -12, B = 1 + 2 ** -11;
const FUSED = 2 ** -24;
// relaxed_madd may round once or twice: V8 fuses where the CPU has FMA (every arm64; x86-64
// with the fma flag), so the relaxed build's answer is pinned only where the CPU says which.
function cpuHasFma(): boolean | null {
  if (arch() === 'arm64') return true;
  if (arch() !== 'x64' || !existsSync('/proc/cpuinfo')) return null;
  return /^flags\s*:.*\bfma\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
}
const fma = cpuHasFma();
const want = { plain: 0, relaxed: fma === null ? null : fma ? FUSED : 0 };

function dense(k: XnorKernels): number {
  const mark = k.mark();
  try {
    // lane 0 of the f32x4 loop: acc = −1·B, then acc += A·A
    const x = k.putF32([-1, 0, 0, 0, A, 0, 0, 0]), w = k.putF32([B, 0, 0, 0, A, 0, 0, 0]);
    const y = k.alloc(4);
    k.exports.fdense(x, w, 0, y, 1, 8, 1, 0);
    return k.readF32(y, 1)[0];
  } finally {
    k.release(mark);
  }
}

/** A 1×1 conv over channels [−1, A, 0] · [B, A, 0], output pixel 0; stride 2 with C = 3 is the stem's path. */
function conv(k: XnorKernels, stride: number): number {
  const mark = k.mark();
  try {
    const g = { n: 1, h: 1, w: 8, c: 3, o: 1, kh: 1, kw: 1, strides: [1, stride] as [number, number] };
    const p = k.putConvParams(g);
    const x = new Float32Array(8 * 3);
    x.set([-1, A, 0]);
    const wp = k.alloc(k.exports.fconvWeightsBytes(p));
    k.exports.fconvPrepareWeights(p, k.putF32([B, A, 0]), wp);
    const out = k.alloc((8 / stride) * 4);
    k.exports.fconv2d(p, k.putF32(x), wp, 0, out, 0);
    return k.readF32(out, 1)[0];
  } finally {
    k.release(mark);
  }
}

describe.each(FLOAT_BUILDS)('the %s build', (build) => {
  it('says which flavour it is', async () => {
    expect((await kernels(build)).relaxedSimd).toBe(build === 'relaxed');
  });
  const w = want[build];
  it.skipIf(w === null)(build === 'plain' ? 'multiplies, then adds (fdense, fconv2d, the stem path)' : 'fuses multiply-add on an FMA CPU (fdense, fconv2d, the stem path)', async () => {
    const k = await kernels(build);
    expect([dense(k), conv(k, 1), conv(k, 2)]).toEqual([w, w, w]);
  });
});

describe('the loader', () => {
  it('picks the plain build by default, the relaxed one when asked where the engine has relaxed SIMD', async () => {
    // vitest.config.ts turns relaxed SIMD on in Node 20
    expect((await kernels('release')).relaxedSimd).toBe(false);
    expect((await kernels('plain')).relaxedSimd).toBe(false);
    expect((await XnorKernels.load({ relaxedSimd: true })).relaxedSimd).toBe(true);
  });
});
