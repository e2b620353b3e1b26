// The float flavours (assembly/float/madd.ts): xnor.wasm and xnor.relaxed.wasm multiply then
// add (two roundings), xnor.fma.wasm fuses them (f32x4.relaxed_madd: one rounding on CPUs with FMA,
// which V8 uses on x86-64 with FMA3 and on every arm64). One input tells them apart:
// −(1+2⁻¹¹) + (1+2⁻¹²)² is exactly 2⁻²⁴, but the rounded product is 1+2⁻¹¹ (a tie, to even),
// so mul + add gives 0.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { arch } from 'node:os';
import { describe, expect, it } from 'vitest';
import { XnorKernels } from '../../src/wasm/kernels.js';
import { FLOAT_BUILDS, kernels } from './helpers.js';

const A = 1 + 2 ** -12, B = 1 + 2 ** -11;
const FUSED = 2 ** -24;
// relaxed_madd may round once or twice: V8 fuses where the CPU has FMA (every arm64; x86-64
// with the fma flag), so the fma build's answer is pinned only where the CPU says which.
function cpuHasFma(): boolean | null {
  if (arch() === 'arm64') return true;
  if (arch() !== 'x64' || !existsSync('/proc/cpuinfo')) return null;
  return /^flags\s*:.*\bfma\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
}
const fma = cpuHasFma();
const want = { plain: 0, relaxed: 0, fma: fma === null ? null : fma ? FUSED : 0 };

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

describe.each([...FLOAT_BUILDS, 'relaxed'] as const)('the %s build', (build) => {
  it('says which flavour it is', async () => {
    const k = await kernels(build);
    expect([k.relaxedSimd, k.fma]).toEqual([build !== 'plain', build === 'fma']);
  });
  const w = want[build];
  it.skipIf(w === null)(build === 'plain' ? 'multiplies, then adds (fdense, fconv2d, the stem path)' : 'fuses multiply-add on an FMA CPU (fdense, fconv2d, the stem path)', async () => {
    const k = await kernels(build);
    expect([dense(k), conv(k, 1), conv(k, 2)]).toEqual([w, w, w]);
  });
});

describe('the loader', () => {
  it('picks the relaxed build by default where the engine has relaxed SIMD, plain with relaxedSimd: false, fma when asked', async () => {
    // vitest.config.ts turns relaxed SIMD on in Node 20
    const which = (k: XnorKernels) => (k.fma ? 'fma' : k.relaxedSimd ? 'relaxed' : 'plain');
    expect(which(await kernels('release'))).toBe('relaxed');
    expect(which(await XnorKernels.load({ relaxedSimd: true }))).toBe('relaxed');
    expect(which(await XnorKernels.load({ relaxedSimd: false }))).toBe('plain');
    expect(which(await XnorKernels.load({ fma: true }))).toBe('fma');
    expect(which(await XnorKernels.load({ fma: true, relaxedSimd: false }))).toBe('plain');
  });

  it('picks the plain build where the engine has no relaxed SIMD, whatever is asked', () => {
    // a child Node 20 without the flag: relaxed SIMD off (it is on by default from Node 22)
    const major = Number(process.versions.node.split('.')[0]);
    if (major >= 22) return;
    const code = `import { chooseBuild } from './src/wasm/load.ts';
console.log(JSON.stringify([chooseBuild(), chooseBuild({ fma: true }), chooseBuild({ relaxedSimd: true })]));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(['plain', 'plain', 'plain']);
  });
});
