// A small BMXNet-style network with every converted op, built here with random weights and
// evaluated by an independent NCHW implementation of BMXNet's semantics (float64). The
// converted model, run by the reference interpreter, must agree — with and without folding.

import { describe, expect, it } from 'vitest';
import { convertBmxnet } from '../../src/convert/bmxnet.js';
import { runReference } from '../../src/reference/interpreter.js';
import { makeParams, makeSymbol, packBmxnet, type ArraySpec } from '../helpers/mxnet.js';
import { rng } from '../helpers/tiny-model.js';

type T = { shape: number[]; d: Float64Array };
const r = rng(2024);
const rand = (n: number, s = 1, o = 0) => Float64Array.from({ length: n }, () => o + (r() * 2 - 1) * s);
const pm = (n: number) => Float64Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1));

// --- independent evaluator (NCHW, N = 1) ---
const at = (t: T, c: number, y: number, x: number) => t.d[(c * t.shape[2] + y) * t.shape[3] + x];
function conv(x: T, w: Float64Array, m: number, k: number, pad: number, bias?: Float64Array, padVal = 0): T {
  const [, c, h, wd] = x.shape;
  const oh = h + 2 * pad - k + 1;
  const ow = wd + 2 * pad - k + 1;
  const d = new Float64Array(m * oh * ow);
  for (let o = 0; o < m; o++)
    for (let y = 0; y < oh; y++)
      for (let xx = 0; xx < ow; xx++) {
        let acc = bias ? bias[o] : 0;
        for (let ci = 0; ci < c; ci++)
          for (let i = 0; i < k; i++)
            for (let j = 0; j < k; j++) {
              const iy = y + i - pad;
              const ix = xx + j - pad;
              const v = iy >= 0 && iy < h && ix >= 0 && ix < wd ? at(x, ci, iy, ix) : padVal;
              acc += v * w[((o * c + ci) * k + i) * k + j];
            }
        d[(o * oh + y) * ow + xx] = acc;
      }
  return { shape: [1, m, oh, ow], d };
}
const sign = (t: T): T => ({ shape: t.shape, d: t.d.map((v) => (v >= 0 ? 1 : -1)) });
function bn(t: T, g: Float64Array, b: Float64Array, mean: Float64Array, v: Float64Array, eps: number, fix: boolean): T {
  const c = t.shape[1];
  const per = t.d.length / c;
  return { shape: t.shape, d: t.d.map((x, i) => { const ch = Math.floor(i / per); return ((fix ? 1 : g[ch]) * (x - mean[ch])) / Math.sqrt(v[ch] + eps) + b[ch]; }) };
}
/** BMXNet QConvolution: zero-pad, sign (padded taps +1), XNOR count (K + dot)/2. */
function qconv(x: T, wpm: Float64Array, m: number, k: number, pad: number): T {
  const K = x.shape[1] * k * k;
  const dot = conv(sign(x), wpm, m, k, pad, undefined, 1);
  return { shape: dot.shape, d: dot.d.map((v) => (K + v) / 2) };
}
function dense(x: Float64Array, w: Float64Array, m: number, bias?: Float64Array): Float64Array {
  const k = x.length;
  return Float64Array.from({ length: m }, (_, o) => x.reduce((acc, v, i) => acc + v * w[o * k + i], bias ? bias[o] : 0));
}
function maxpool2(t: T): T {
  const [, c, h, w] = t.shape;
  const d = new Float64Array((c * h * w) / 4);
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < h / 2; y++)
      for (let x = 0; x < w / 2; x++)
        d[(ch * (h / 2) + y) * (w / 2) + x] = Math.max(at(t, ch, 2 * y, 2 * x), at(t, ch, 2 * y, 2 * x + 1), at(t, ch, 2 * y + 1, 2 * x), at(t, ch, 2 * y + 1, 2 * x + 1));
  return { shape: [1, c, h / 2, w / 2], d };
}

// --- the network ---
const C0 = 1, H = 8, C1 = 3, M = 16, HID = 5, OUT = 3;
const K1 = C1 * 9, KFC = M * (H / 2) * (H / 2);
const P: Record<string, Float64Array> = {
  conv0_weight: rand(C1 * C0 * 9),
  conv0_bias: rand(C1, 0.2),
  qc1_weight: pm(M * K1),
  qc2_weight: pm(M * C1),
  qfc_weight: pm(HID * KFC),
  fc_weight: rand(OUT * HID),
  fc_bias: rand(OUT, 0.1),
};
const bnParams = (name: string, n: number, mean = 0, spread = 1) => {
  P[`${name}_gamma`] = rand(n, 0.5, 1);
  P[`${name}_beta`] = rand(n, 0.5);
  P[`${name}_moving_mean`] = rand(n, spread, mean);
  P[`${name}_moving_var`] = rand(n, 0.5 * spread * spread, spread * spread);
};
bnParams('bn0', C1, 0, 0.5);
bnParams('bn1', M, K1 / 2 + 0.5, 3); // after the XNOR counts of qc1 + qc2
bnParams('bn2', KFC, 0.7, 0.3); // per flattened (c,h,w) feature: about half the signs flip
bnParams('bn3', HID, KFC / 2, 8);

const sym = makeSymbol([
  { op: 'Convolution', name: 'conv0', inputs: ['data', 'conv0_weight', 'conv0_bias'], attrs: { kernel: '(3, 3)', pad: '(1, 1)', num_filter: `${C1}`, workspace: '256' } },
  { op: 'BatchNorm', name: 'bn0', inputs: ['conv0', 'bn0_gamma', 'bn0_beta', 'bn0_moving_mean', 'bn0_moving_var'], attrs: { eps: '2e-05', fix_gamma: 'False', momentum: '0.9' } },
  { op: 'QActivation', name: 'q0', inputs: ['bn0'], attrs: { act_bit: '1', backward_only: 'True' } },
  { op: 'QConvolution', name: 'qc1', inputs: ['q0', 'qc1_weight'], attrs: { act_bit: '1', kernel: '(3, 3)', pad: '(1, 1)', num_filter: `${M}`, no_bias: 'True', binarized_weights_only: 'True' } },
  // Reads the BatchNorm output directly: the converter must insert the sign.
  { op: 'QConvolution', name: 'qc2', inputs: ['bn0', 'qc2_weight'], attrs: { act_bit: '1', kernel: '(1, 1)', num_filter: `${M}`, no_bias: 'True', binarized_weights_only: 'True' } },
  { op: 'elemwise_add', name: 'plus', inputs: ['qc1', 'qc2'] },
  { op: 'BatchNorm', name: 'bn1', inputs: ['plus', 'bn1_gamma', 'bn1_beta', 'bn1_moving_mean', 'bn1_moving_var'], attrs: { fix_gamma: 'False' } },
  { op: 'Pooling', name: 'pool', inputs: ['bn1'], attrs: { kernel: '(2, 2)', stride: '(2, 2)', pool_type: 'max' } },
  { op: 'Flatten', name: 'flat', inputs: ['pool'] },
  { op: 'BatchNorm', name: 'bn2', inputs: ['flat', 'bn2_gamma', 'bn2_beta', 'bn2_moving_mean', 'bn2_moving_var'], attrs: { fix_gamma: 'False', eps: '1e-4' } },
  { op: 'QActivation', name: 'q1', inputs: ['bn2'], attrs: { act_bit: '1' } },
  { op: 'QFullyConnected', name: 'qfc', inputs: ['q1', 'qfc_weight'], attrs: { act_bit: '1', num_hidden: `${HID}`, binarized_weights_only: 'True' } },
  { op: 'BatchNorm', name: 'bn3', inputs: ['qfc', 'bn3_gamma', 'bn3_beta', 'bn3_moving_mean', 'bn3_moving_var'] },
  { op: 'Activation', name: 'tanh', inputs: ['bn3'], attrs: { act_type: 'tanh' } },
  { op: 'FullyConnected', name: 'fc', inputs: ['tanh', 'fc_weight', 'fc_bias'], attrs: { num_hidden: `${OUT}` } },
  { op: 'SoftmaxOutput', name: 'softmax', inputs: ['fc', 'softmax_label'] },
]);

/** QFullyConnected packing: words [K/64][M], bit b of word (y, x) = W[x][64y + b]. */
function packQfc(w: Float64Array, m: number, k: number): Uint8Array {
  const t = new Float64Array(m * k);
  for (let y = 0; y < k / 64; y++) for (let o = 0; o < m; o++) for (let b = 0; b < 64; b++) t[(y * m + o) * 64 + b] = w[o * k + 64 * y + b];
  return packBmxnet(t);
}
const words = (bits: number) => [Math.ceil(bits / 64)];
const arrays: ArraySpec[] = Object.entries(P).map(([name, d]) => {
  if (name === 'qc1_weight') return { name, shape: words(M * K1), dtype: 'f64', data: packBmxnet(d) };
  if (name === 'qc2_weight') return { name, shape: words(M * C1), dtype: 'f64', data: packBmxnet(d) };
  if (name === 'qfc_weight') return { name, shape: words(HID * KFC), dtype: 'f64', data: packQfc(d, HID, KFC) };
  const shape = name === 'conv0_weight' ? [C1, C0, 3, 3] : name === 'fc_weight' ? [OUT, HID] : [d.length];
  return { name, shape, data: d };
});
const params = makeParams(arrays);

function evaluate(x: T): { plus: T; qfc: Float64Array; prob: Float64Array } {
  const b = (t: T, n: string, eps = 1e-3, fix = false) => bn(t, P[`${n}_gamma`], P[`${n}_beta`], P[`${n}_moving_mean`], P[`${n}_moving_var`], eps, fix);
  const a0 = b(conv(x, P.conv0_weight, C1, 3, 1, P.conv0_bias), 'bn0', 2e-5);
  const s1 = qconv(sign(a0), P.qc1_weight, M, 3, 1);
  const s2 = qconv(a0, P.qc2_weight, M, 1, 0);
  const plus = { shape: s1.shape, d: s1.d.map((v, i) => v + s2.d[i]) };
  const pooled = maxpool2(b(plus, 'bn1'));
  const f = b({ shape: [1, KFC], d: pooled.d }, 'bn2', 1e-4);
  const q = sign(f).d;
  const qfc = dense(q, P.qfc_weight, HID).map((dot) => (KFC + dot) / 2);
  const h = b({ shape: [1, HID], d: qfc }, 'bn3', 1e-3, true).d.map(Math.tanh);
  const logits = dense(h, P.fc_weight, OUT, P.fc_bias);
  const mx = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - mx));
  const s = e.reduce((p, v) => p + v, 0);
  return { plus, qfc, prob: e.map((v) => v / s) };
}

describe('BMXNet conversion semantics (synthetic network)', () => {
  const inputs = Array.from({ length: 6 }, () => rand(C0 * H * H, 1.5));
  const nhwc = (x: Float64Array) => {
    const out = new Float32Array(x.length);
    for (let c = 0; c < C0; c++) for (let p = 0; p < H * H; p++) out[p * C0 + c] = x[c * H * H + p];
    return out;
  };

  const input = { shape: [1, H, H, C0], layout: 'NHWC', colorOrder: 'GRAY', valueRange: [0, 1] } as const;
  const convert = (fold: boolean) =>
    convertBmxnet(sym, params, 'mnist', { fold, input: { ...input, shape: [...input.shape], valueRange: [0, 1] }, labels: ['a', 'b', 'c'] });

  it('matches an independent NCHW evaluation layer by layer (unfolded)', () => {
    const model = convert(false);
    expect(model.metadata.output.kind).toBe('probabilities');
    for (const x of inputs) {
      const want = evaluate({ shape: [1, C0, H, H], d: Float64Array.from(x, (v) => Math.fround(v)) });
      const got = runReference(model, nhwc(x), { keep: true }).values!;
      // XNOR counts are exact integers; the residual sum of two of them too.
      const plus = got.get('plus')!.data;
      for (let c = 0; c < M; c++) for (let p = 0; p < H * H; p++) expect(plus[p * M + c]).toBe(want.plus.d[c * H * H + p]);
      expect([...got.get('qfc')!.data]).toEqual([...want.qfc]);
      const prob = got.get('softmax')!.data;
      for (let i = 0; i < OUT; i++) expect(prob[i]).toBeCloseTo(want.prob[i], 5);
    }
  });

  it('gives the same probabilities with BatchNorm/Relu folding', () => {
    const plain = convert(false);
    const folded = convert(true);
    expect(folded.nodes.length).toBeLessThan(plain.nodes.length);
    expect(folded.nodes.some((n) => n.op === 'BatchNorm' && n.inputs[0] === 'qfc')).toBe(false);
    for (const x of inputs) {
      const a = runReference(plain, nhwc(x)).output.data;
      const b = runReference(folded, nhwc(x)).output.data;
      for (let i = 0; i < OUT; i++) expect(b[i]).toBeCloseTo(a[i], 5);
    }
  });
});
