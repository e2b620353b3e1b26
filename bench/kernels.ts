// Kernel benchmark (not a test): binary 3x3 conv vs our f32 conv at ResNet-18's shapes, plus
// an XOR+popcount roofline. `npm run bench:kernels -- --json` prints a table, then the JSON
// object as the LAST line, and writes bench/results/kernels.json. The float stems run on the
// plain build and, where Node has relaxed SIMD (Node 20: `node --experimental-wasm-relaxed-simd`),
// on the relaxed one (FMA).
import { writeFileSync, mkdirSync } from 'node:fs';
import { relaxedSimdSupported } from '../src/wasm/features.js';
import { XnorKernels, convOutSize, type ConvGeometry } from '../src/wasm/kernels.js';
import { fillRandom, roofline, timeIt } from '../src/cli/roofline.js';

function fillFloats(k: XnorKernels, ptr: number, n: number, seed: number) {
  const f = k.f32();
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) f[(ptr >> 2) + i] = ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
}

interface Row { shape: string; binary_ms: number; binary_packed_ms: number; float_ms: number; speedup: number; roofline_fraction: number; scalar_ms: number; simd_ms: number }

function benchShape(k: XnorKernels, c: number, hw: number, roof: number): Row {
  const mark = k.mark();
  const e = k.exports;
  const g: ConvGeometry = { n: 1, h: hw, w: hw, c, o: c, kh: 3, kw: 3, pads: [1, 1, 1, 1], padMode: 'zero' };
  const [oh, ow] = convOutSize(g);
  const cw = Math.ceil(c / 64);
  const pF = k.putConvParams(g), pB = k.putConvParams({ ...g, packed: true });
  const x = k.alloc(hw * hw * cw * 8); fillRandom(k, x, hw * hw * cw * 8, 1);
  const wRaw = k.alloc(c * 9 * cw * 8); fillRandom(k, wRaw, c * 9 * cw * 8, 2);
  const w = k.alloc(e.bconvWeightsBytes(pF)); e.bconvPrepareWeights(pF, wRaw, w);
  const corr = k.alloc(e.bconvCorrectionBytes(pF)); e.bconvPrepareCorrection(pF, wRaw, corr);
  const scratch = k.alloc(e.bconvScratchBytes(pF));
  const mul = k.putF32(new Float32Array(c).fill(0.01)), bias = k.putF32(new Float32Array(c));
  const thr = k.putI32(new Int32Array(c)), dir = k.putI32(new Int32Array(c).fill(1));
  const outF = k.alloc(oh * ow * c * 4), outB = k.alloc(oh * ow * cw * 8);
  const ms: Record<string, number> = {};
  for (const s of ['scalar', 'simd'] as const) {
    k.setPopcount(s);
    ms[s] = timeIt(() => e.bconv2d(pF, x, w, outF, mul, bias, 0, 0, 0, corr, scratch));
    ms[s + 'Packed'] = timeIt(() => e.bconv2d(pB, x, w, outB, 0, 0, 0, thr, dir, corr, scratch));
  }
  const best = ms.simd < ms.scalar ? 'simd' : 'scalar';
  // float conv on the same shape
  const pf = k.putConvParams({ ...g, padMode: undefined });
  const xf = k.alloc(hw * hw * c * 4); fillFloats(k, xf, hw * hw * c, 3);
  const wf = k.alloc(c * 9 * c * 4); fillFloats(k, wf, c * 9 * c, 4);
  const wfp = k.alloc(e.fconvWeightsBytes(pf)); e.fconvPrepareWeights(pf, wf, wfp);
  const sf = k.alloc(e.fconvScratchBytes(pf));
  const of = k.alloc(oh * ow * c * 4);
  const floatMs = timeIt(() => e.fconv2d(pf, xf, wfp, bias, of, sf));
  k.release(mark);
  const convWords = oh * ow * c * 9 * cw;
  const binaryMs = ms[best];
  return {
    shape: `c${c} ${hw}x${hw}`,
    binary_ms: +binaryMs.toFixed(4),
    binary_packed_ms: +Math.min(ms.scalarPacked, ms.simdPacked).toFixed(4),
    float_ms: +floatMs.toFixed(4),
    speedup: +(floatMs / binaryMs).toFixed(2),
    roofline_fraction: +((convWords / (binaryMs / 1000)) / roof).toFixed(3),
    scalar_ms: +ms.scalar.toFixed(4),
    simd_ms: +ms.simd.toFixed(4),
  };
}

function benchStem(k: XnorKernels, name: string, g: ConvGeometry): { stem: string; float: string; float_ms: number; gmacs: number } {
  const mark = k.mark();
  const e = k.exports;
  const [oh, ow] = convOutSize(g);
  const p = k.putConvParams(g);
  const x = k.alloc(g.h * g.w * g.c * 4); fillFloats(k, x, g.h * g.w * g.c, 5);
  const w = k.alloc(g.o! * g.kh * g.kw * g.c * 4); fillFloats(k, w, g.o! * g.kh * g.kw * g.c, 6);
  const wp = k.alloc(e.fconvWeightsBytes(p)); e.fconvPrepareWeights(p, w, wp);
  const s = k.alloc(e.fconvScratchBytes(p));
  const out = k.alloc(oh * ow * g.o! * 4);
  const ms = timeIt(() => e.fconv2d(p, x, wp, 0, out, s), 21);
  k.release(mark);
  const macs = oh * ow * g.o! * g.kh * g.kw * g.c;
  return { stem: name, float: k.relaxedSimd ? 'fma' : 'mul+add', float_ms: +ms.toFixed(3), gmacs: +(macs / ms / 1e6).toFixed(2) };
}

async function main() {
  const k = await XnorKernels.load({ relaxedSimd: false });
  const roof = roofline(k);
  const rows = [[64, 56], [128, 28], [256, 14], [512, 7]].map(([c, hw]) => benchShape(k, c, hw, roof.wordsPerSec));
  const builds = relaxedSimdSupported() ? [k, await XnorKernels.load({ relaxedSimd: true })] : [k];
  const stems = builds.flatMap((b) => [
    benchStem(b, '7x7/2 224x224x3->64', { n: 1, h: 224, w: 224, c: 3, o: 64, kh: 7, kw: 7, strides: [2, 2], pads: [3, 3, 3, 3] }),
    benchStem(b, '11x11/4 224x224x3->64', { n: 1, h: 224, w: 224, c: 3, o: 64, kh: 11, kw: 11, strides: [4, 4], pads: [2, 2, 2, 2] }),
  ]);
  console.log(`roofline: ${(roof.wordsPerSec / 1e9).toFixed(3)} Gwords/s (${roof.strategy}); scalar ${(roof.perStrategy.scalar / 1e9).toFixed(3)}, simd ${(roof.perStrategy.simd / 1e9).toFixed(3)}`);
  console.log('shape         binary ms  packed ms  scalar ms  simd ms   float ms  speedup  roofline');
  for (const r of rows) {
    console.log(`${r.shape.padEnd(13)} ${r.binary_ms.toFixed(3).padStart(9)} ${r.binary_packed_ms.toFixed(3).padStart(10)} ${r.scalar_ms.toFixed(3).padStart(10)} ${r.simd_ms.toFixed(3).padStart(8)} ${r.float_ms.toFixed(3).padStart(10)} ${r.speedup.toFixed(1).padStart(8)} ${r.roofline_fraction.toFixed(3).padStart(9)}`);
  }
  for (const s of stems) console.log(`stem ${s.stem} (${s.float}): ${s.float_ms} ms (${s.gmacs} GMAC/s)`);
  const json = { rows: rows.map(({ shape, binary_ms, float_ms, speedup, roofline_fraction }) => ({ shape, binary_ms, float_ms, speedup, roofline_fraction })), stems, roofline_words_per_s: Math.round(roof.wordsPerSec) };
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/kernels.json', import.meta.url), JSON.stringify({ ...json, detail: rows }, null, 2) + '\n');
  console.log(JSON.stringify(json));
}

await main();
