// One binary-conv case end to end: seeded ±1 data -> pack -> prepare -> bconv2d (every output
// transform, both popcount strategies) vs the reference conv of the ±1 floats with explicit
// padding by +1 / -1 / 0 (src/reference/ops.ts conv2dSum + BinConv2D).
import { conv2dSum } from '../../src/reference/ops.js';
import { packBits, packedBytes } from '../../src/ops/bits.js';
import { convOutSize, type PadMode, type PopcountStrategy, type XnorKernels } from '../../src/wasm/kernels.js';
import { mulberry32, randFloats, randInt, randSigns, refOp, runSplit, tensor, firstMismatch, describeMismatch } from './helpers.js';

export interface BconvCase {
  n: number; h: number; w: number; c: number; o: number; kh: number; kw: number;
  s: [number, number]; d: [number, number]; pads: [number, number, number, number]; pad: PadMode;
  seed: number;
}

export const caseName = (k: BconvCase) =>
  `bconv n=${k.n} c=${k.c} o=${k.o} k=${k.kh}x${k.kw} s=${k.s.join('x')} d=${k.d.join('x')} ` +
  `pads=${k.pads.join(',')} pad=${k.pad} in=${k.h}x${k.w}`;

const PAD_VALUE = { plus: 1, minus: -1, zero: 0 } as const;

/**
 * Runs the case; returns a list of failure descriptions (empty = exact match everywhere).
 * `kernelPad` lets a test hand the kernel a deliberately wrong padding mode. With `split`,
 * the conv runs as bconvPad + bconv2dRange over that many thread ranges (runSplit), each
 * thread with its own tile buffer, as the kernel pool runs it.
 */
export function runBconvCase(k: XnorKernels, c: BconvCase,
  opts: { kernelPad?: PadMode; strategies?: PopcountStrategy[]; split?: number; perLayer?: boolean } = {}): string[] {
  const r = mulberry32(c.seed);
  const xs = randSigns(r, c.n * c.h * c.w * c.c);
  const ws = randSigns(r, c.o * c.kh * c.kw * c.c);
  const geom = { n: c.n, h: c.h, w: c.w, c: c.c, o: c.o, kh: c.kh, kw: c.kw, strides: c.s, dilations: c.d, pads: c.pads };
  const [oh, ow] = convOutSize(geom);
  const window = { strides: c.s, pads: c.pads, dilations: c.d };
  const dots = conv2dSum(tensor([c.n, c.h, c.w, c.c], xs), tensor([c.o, c.kh, c.kw, c.c], ws), window, PAD_VALUE[c.pad]).data;

  const mul = randFloats(r, c.o, 0.5);
  const bias = randFloats(r, c.o, 3);
  const kmapData = Float32Array.from({ length: c.n * oh * ow }, () => 0.25 + r());
  const useK = (c.seed & 1) === 0;
  const relu = (c.seed & 2) === 0;
  const attrs = { strides: c.s, pads: c.pads, dilations: c.d, padValue: c.pad, activation: relu ? 'relu' : 'none' };
  const want = refOp('BinConv2D', [
    tensor([c.n, c.h, c.w, c.c], xs), tensor([c.o, c.kh, c.kw, c.c], ws), tensor([c.o], mul), tensor([c.o], bias),
    useK ? tensor([c.n, oh, ow, 1], kmapData) : undefined,
  ], attrs).data;

  // packed output: integer thresholds near the typical dot, both directions; some exact ties
  const n = c.kh * c.kw * c.c;
  const thr = Int32Array.from({ length: c.o }, (_, i) => (i % 3 === 0 ? dots[i] : randInt(r, -Math.ceil(n / 4), Math.ceil(n / 4))));
  const dir = Int32Array.from({ length: c.o }, () => (r() < 0.5 ? -1 : 1));
  const plusMinus = Float32Array.from(dots, (d, i) => {
    const o = i % c.o;
    return (dir[o] < 0 ? d <= thr[o] : d >= thr[o]) ? 1 : -1;
  });
  const wantPacked = packBits(plusMinus, [c.n, oh, ow, c.o]);

  const mark = k.mark();
  const e = k.exports;
  const fails: string[] = [];
  try {
    const xP = k.putBytes(packBits(xs, [c.n, c.h, c.w, c.c]));
    const wRaw = k.putBytes(packBits(ws, [c.o, c.kh, c.kw, c.c]));
    const pF = k.putConvParams({ ...geom, padMode: opts.kernelPad ?? c.pad, relu });
    const pB = k.putConvParams({ ...geom, padMode: opts.kernelPad ?? c.pad, packed: true });
    const strategies = opts.strategies ?? (['scalar', 'simd', 'hybrid'] as const);
    const w = k.alloc(e.bconvWeightsBytes(pF));
    e.bconvPrepareWeights(pF, wRaw, w);
    const corr = k.alloc(e.bconvCorrectionBytes(pF));
    e.bconvPrepareCorrection(pF, wRaw, corr);
    const parts = opts.split ?? 1;
    const scratch = k.alloc(e.bconvScratchBytes(pF) + (parts - 1) * e.bconvTileBytes(pF));
    const mulP = k.putF32(mul), biasP = k.putF32(bias), kP = useK ? k.putF32(kmapData) : 0;
    const thrP = k.putI32(thr), dirP = k.putI32(dir);
    const outF = k.alloc(c.n * oh * ow * c.o * 4);
    const outBytes = packedBytes([c.n, oh, ow, c.o]);
    const outB = k.alloc(outBytes);
    const total = c.n * oh * ow;
    const conv = (p: number, out: number, pixelBytes: number, tr: number) => {
      if (!opts.split) return e.bconv2d(p, xP, w, out, tr, scratch);
      e.bconvPad(p, xP, scratch);
      const fail = runSplit(k, out, total, pixelBytes, parts, (a, b, t) => e.bconv2dRange(a, b, t, p, xP, w, out, tr, scratch));
      if (fail) fails.push(`split ${parts}: ${fail}`);
    };
    const trF = k.putOutputTransform({ mul: mulP, bias: biasP, kmap: kP, corr });
    const trB = k.putOutputTransform({ thr: thrP, dir: dirP, corr });
    for (const s of strategies) {
      if (opts.perLayer) {
        // the layer's own strategy in ConvParams.popcount; the global mode set to another one
        k.writeConvParams(pF, { ...geom, padMode: opts.kernelPad ?? c.pad, relu, popcount: s });
        k.writeConvParams(pB, { ...geom, padMode: opts.kernelPad ?? c.pad, packed: true, popcount: s });
        k.setPopcount(s === 'scalar' ? 'simd' : 'scalar');
      } else k.setPopcount(s);
      conv(pF, outF, c.o * 4, trF);
      const got = k.readF32(outF, want.length);
      const i = firstMismatch(got, want);
      if (i >= 0) fails.push(`${s} float(${useK ? 'K,' : ''}${relu ? 'relu' : ''}): ${describeMismatch(got, want, i)}`);
      k.u8().fill(0xa5, outB, outB + outBytes); // garbage: the kernel must clear what it ORs into
      conv(pB, outB, Math.ceil(c.o / 64) * 8, trB);
      const gotB = k.readBytes(outB, outBytes);
      const j = firstMismatch(gotB, wantPacked);
      if (j >= 0) fails.push(`${s} packed: byte ${describeMismatch(gotB, wantPacked, j)}`);
    }
  } finally {
    k.release(mark);
  }
  return fails;
}
