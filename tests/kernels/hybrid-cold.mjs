// Run by tests/kernels/hybrid-cold.test.ts in a child Node (tsx, for the struct writers) with --liftoff-only (or --no-liftoff):
// the hybrid bconv2d equals the scalar one on a kernels build (argv[2]) in V8's baseline
// code too (Node 20's Liftoff miscomputes one relaxed-SIMD instruction, relaxed_dot; the hybrid
// uses relaxed_swizzle). Exit code 1 on a mismatch.
import { readFileSync } from 'node:fs';
import { CONV_PARAMS_BYTES, OUTPUT_TRANSFORM_BYTES, PAD_ZERO, storeConvParams, storeOutputTransform } from '../../src/wasm/abi.generated.ts';
const bytes = readFileSync(process.argv[2]);
const { instance } = await WebAssembly.instantiate(bytes, { env: { abort() { throw new Error('abort'); } } });
const e = instance.exports;
e._initialize?.();
const mem = () => new Uint8Array(e.memory.buffer);
let top = (e.heapBase() + 15) & ~15;
const alloc = (n) => { const p = top; top = (top + n + 16 + 15) & ~15; if (top > e.memory.buffer.byteLength) e.memory.grow(Math.ceil((top - e.memory.buffer.byteLength) / 65536)); return p; };
let s = 12345;
const fill = (p, n) => { const m = mem(); for (let i = 0; i < n; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; m[p + i] = s >>> 24; } };
let fails = 0;
for (const [c, hw, k, o] of [[64, 9, 3, 12], [200, 7, 3, 9], [128, 8, 1, 8], [700, 5, 3, 5], [96, 9, 5, 6]]) {
  const p = alloc(CONV_PARAMS_BYTES);
  const pad = k >> 1, OH = hw, OW = hw;
  storeConvParams(e.memory.buffer, p, {
    n: 1, h: hw, w: hw, c, o, kh: k, kw: k, sh: 1, sw: 1, dh: 1, dw: 1, pt: pad, pl: pad, pb: pad, pr: pad, oh: OH, ow: OW,
    padMode: PAD_ZERO, flags: 0, popcount: 0,
  });
  const cw = Math.ceil(c / 64);
  const x = alloc(hw * hw * cw * 8); fill(x, hw * hw * cw * 8);
  // keep channel-padding bits 0
  const wRaw = alloc(o * k * k * cw * 8); fill(wRaw, o * k * k * cw * 8);
  const fix = (ptr, rows) => { const v = new BigUint64Array(e.memory.buffer, ptr, rows * cw); const m = c % 64 ? (1n << BigInt(c % 64)) - 1n : (1n << 64n) - 1n; for (let r = 0; r < rows; r++) v[r * cw + cw - 1] &= m; };
  fix(x, hw * hw); fix(wRaw, o * k * k);
  const w = alloc(e.bconvWeightsBytes(p)); e.bconvPrepareWeights(p, wRaw, w);
  const corr = alloc(e.bconvCorrectionBytes(p)); e.bconvPrepareCorrection(p, wRaw, corr);
  const scratch = alloc(e.bconvScratchBytes(p));
  const tr = alloc(OUTPUT_TRANSFORM_BYTES); storeOutputTransform(e.memory.buffer, tr, { corr });
  const out = [];
  for (const mode of [0, 2]) {
    const y = alloc(OH * OW * o * 4);
    e.setPopcountMode(mode);
    e.bconv2d(p, x, w, y, tr, scratch);
    out.push(Array.from(new Float32Array(e.memory.buffer, y, OH * OW * o)));
  }
  const same = out[0].every((v, i) => v === out[1][i]);
  if (!same) fails++;
  console.log(`c${c} ${hw}x${hw} ${k}x${k} o${o}: hybrid == scalar: ${same}`);
}
process.exit(fails ? 1 : 0);
