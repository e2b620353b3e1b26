// Kernel benchmark (not a test): binary 3x3 conv vs our f32 conv at ResNet-18's shapes (each
// popcount strategy: scalar, SIMD, hybrid; the 1x1 stride-2 shortcuts too), the float stems
// against the exact integer stem on the same layers, plus an XOR+popcount roofline
// (xorPopcountSum, 4 accumulators, 2 loads per word: `roofline_fraction` divides by it). `npm run bench:kernels -- --json` prints a table, then the JSON
// object as the LAST line, and writes bench/results/kernels.json. Where Node has relaxed SIMD
// (Node 20: `node --experimental-wasm-relaxed-simd`) the binary convs also run on the relaxed
// build and the float stems on the fma one.
import { writeFileSync, mkdirSync } from 'node:fs';
import { relaxedSimdSupported } from '../src/wasm/features.js';
import { XnorKernels, convOutSize, type ConvGeometry } from '../src/wasm/kernels.js';
import { STEM_LAYERS, benchIntStem } from './stems.js';
import { fillRandom, roofline, timeIt } from '../src/cli/roofline.js';

function fillFloats(k: XnorKernels, ptr: number, n: number, seed: number) {
  const f = k.f32();
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) f[(ptr >> 2) + i] = ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
}

interface Row {
  shape: string; build: string; binary_ms: number; binary_packed_ms: number; float_ms: number; speedup: number; roofline_fraction: number;
  best: string; scalar_ms: number; simd_ms: number; hybrid_ms: number; hybrid_vs_scalar: number;
}

const STRATEGIES = ['scalar', 'simd', 'hybrid'] as const;

function benchShape(k: XnorKernels, c: number, hw: number, roof: number, kk = 3, stride = 1, o = c): Row {
  const mark = k.mark();
  const e = k.exports;
  const pad = kk >> 1;
  const g: ConvGeometry = { n: 1, h: hw, w: hw, c, o, kh: kk, kw: kk, strides: [stride, stride], pads: [pad, pad, pad, pad], padMode: 'zero' };
  const [oh, ow] = convOutSize(g);
  const cw = Math.ceil(c / 64);
  const ocw = Math.ceil(o / 64);
  const pF = k.putConvParams(g), pB = k.putConvParams({ ...g, packed: true });
  const x = k.alloc(hw * hw * cw * 8); fillRandom(k, x, hw * hw * cw * 8, 1);
  const wRaw = k.alloc(o * kk * kk * cw * 8); fillRandom(k, wRaw, o * kk * kk * cw * 8, 2);
  const w = k.alloc(e.bconvWeightsBytes(pF)); e.bconvPrepareWeights(pF, wRaw, w);
  const corr = k.alloc(e.bconvCorrectionBytes(pF)); e.bconvPrepareCorrection(pF, wRaw, corr);
  const scratch = k.alloc(e.bconvScratchBytes(pF));
  const mul = k.putF32(new Float32Array(o).fill(0.01)), bias = k.putF32(new Float32Array(o));
  const thr = k.putI32(new Int32Array(o)), dir = k.putI32(new Int32Array(o).fill(1));
  const outF = k.alloc(oh * ow * o * 4), outB = k.alloc(oh * ow * ocw * 8);
  const trF = k.putOutputTransform({ mul, bias, corr }), trB = k.putOutputTransform({ thr, dir, corr });
  // strategies interleaved over 5 rounds (median of each one's round medians): the load on a
  // shared machine moves all of them alike
  const samples: Record<string, number[]> = {};
  for (let round = 0; round < 5; round++)
    for (const s of STRATEGIES) {
      k.setPopcount(s);
      (samples[s] ??= []).push(timeIt(() => e.bconv2d(pF, x, w, outF, trF, scratch), 9, 2));
      (samples[s + 'Packed'] ??= []).push(timeIt(() => e.bconv2d(pB, x, w, outB, trB, scratch), 9, 2));
    }
  const ms = Object.fromEntries(Object.entries(samples).map(([key, v]) => [key, v.sort((a, b) => a - b)[v.length >> 1]]));
  const best = STRATEGIES.reduce((a, b) => (ms[b] < ms[a] ? b : a));
  // float conv on the same shape
  const pf = k.putConvParams({ ...g, padMode: undefined });
  const xf = k.alloc(hw * hw * c * 4); fillFloats(k, xf, hw * hw * c, 3);
  const wf = k.alloc(o * kk * kk * c * 4); fillFloats(k, wf, o * kk * kk * c, 4);
  const wfp = k.alloc(e.fconvWeightsBytes(pf)); e.fconvPrepareWeights(pf, wf, wfp);
  const sf = k.alloc(e.fconvScratchBytes(pf));
  const of = k.alloc(oh * ow * o * 4);
  const floatMs = timeIt(() => e.fconv2d(pf, xf, wfp, bias, of, sf));
  k.release(mark);
  const convWords = oh * ow * o * kk * kk * cw;
  const binaryMs = ms[best];
  return {
    shape: kk === 3 && stride === 1 && o === c ? `c${c} ${hw}x${hw}` : `c${c} ${hw}x${hw} ${kk}x${kk}/${stride} -> c${o}`,
    build: k.relaxedSimd ? 'relaxed' : 'plain',
    binary_ms: +binaryMs.toFixed(4),
    binary_packed_ms: +Math.min(ms.scalarPacked, ms.simdPacked, ms.hybridPacked).toFixed(4),
    float_ms: +floatMs.toFixed(4),
    speedup: +(floatMs / binaryMs).toFixed(2),
    roofline_fraction: +((convWords / (binaryMs / 1000)) / roof).toFixed(3),
    best,
    scalar_ms: +ms.scalar.toFixed(4),
    simd_ms: +ms.simd.toFixed(4),
    hybrid_ms: +ms.hybrid.toFixed(4),
    hybrid_vs_scalar: +(ms.scalar / ms.hybrid).toFixed(3),
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
  return { stem: name, float: k.fma ? 'fma' : 'mul+add', float_ms: +ms.toFixed(3), gmacs: +(macs / ms / 1e6).toFixed(2) };
}

async function main() {
  const k = await XnorKernels.load({ relaxedSimd: false });
  const roof = roofline(k);
  // the plain build (the default) and the relaxed one where Node has it (the hybrid's SIMD half
  // counts bytes with i8x16.swizzle in the first, with relaxed_swizzle in the second)
  const kr = relaxedSimdSupported() ? await XnorKernels.load({ relaxedSimd: true }) : null;
  const rows = [k, ...(kr ? [kr] : [])].flatMap((kb) => [
    ...[[64, 56], [128, 28], [256, 14], [512, 7]].map(([c, hw]) => benchShape(kb, c, hw, roof.wordsPerSec)),
    ...[[64, 56, 128], [128, 28, 256], [256, 14, 512]].map(([c, hw, o]) => benchShape(kb, c, hw, roof.wordsPerSec, 1, 2, o)),
  ]);
  const kf = relaxedSimdSupported() ? await XnorKernels.load({ fma: true }) : null;
  const builds = kf ? [k, kf] : [k];
  const stems = builds.flatMap((b) => [
    benchStem(b, '7x7/2 224x224x3->64', { n: 1, h: 224, w: 224, c: 3, o: 64, kh: 7, kw: 7, strides: [2, 2], pads: [3, 3, 3, 3] }),
    benchStem(b, '11x11/4 224x224x3->64', { n: 1, h: 224, w: 224, c: 3, o: 64, kh: 11, kw: 11, strides: [4, 4], pads: [2, 2, 2, 2] }),
  ]);
  const intStems = builds.flatMap((b) => STEM_LAYERS.map((l) => benchIntStem(b, l.name, l.g)));
  const { loadavg, cpus } = await import('node:os');
  const env = { node: process.version, cpu: cpus()[0]?.model, load_average: loadavg().map((l) => +l.toFixed(2)) };
  console.log(`roofline: ${(roof.wordsPerSec / 1e9).toFixed(3)} Gwords/s (${roof.strategy}); scalar ${(roof.perStrategy.scalar / 1e9).toFixed(3)}, simd ${(roof.perStrategy.simd / 1e9).toFixed(3)}; ${env.cpu}, load ${env.load_average.join(' ')}`);
  console.log('build   shape                       binary ms  packed ms  scalar ms  simd ms  hybrid ms  hyb/sc   float ms  speedup  roofline');
  for (const r of rows) {
    console.log(`${r.build.padEnd(7)} ${r.shape.padEnd(27)} ${r.binary_ms.toFixed(3).padStart(9)} ${r.binary_packed_ms.toFixed(3).padStart(10)} ${r.scalar_ms.toFixed(3).padStart(10)} ${r.simd_ms.toFixed(3).padStart(8)} ${r.hybrid_ms.toFixed(3).padStart(10)} ${r.hybrid_vs_scalar.toFixed(2).padStart(7)} ${r.float_ms.toFixed(3).padStart(10)} ${r.speedup.toFixed(1).padStart(8)} ${r.roofline_fraction.toFixed(3).padStart(9)}`);
  }
  for (const s of stems) console.log(`stem ${s.stem} (${s.float}): ${s.float_ms} ms (${s.gmacs} GMAC/s)`);
  for (const s of intStems) console.log(`integer stem ${s.stem} (${s.build} build): float ${s.float_ms} ms, integer ${s.integer_ms} ms, ${s.integer_speedup}x`);
  const json = {
    rows: rows.map(({ shape, build, binary_ms, float_ms, speedup, roofline_fraction, best, hybrid_vs_scalar }) => ({ shape, build, binary_ms, float_ms, speedup, roofline_fraction, best, hybrid_vs_scalar })),
    stems, integer_stems: intStems, roofline_words_per_s: Math.round(roof.wordsPerSec), env,
  };
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/kernels.json', import.meta.url), JSON.stringify({ ...json, detail: rows }, null, 2) + '\n');
  console.log(JSON.stringify(json));
}

await main();
