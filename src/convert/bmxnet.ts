// BMXNet v1 (MXNet symbol + .params) → .xnn graph; the facts it relies on: docs/FORMAT.md
// ("BMXNet import"), summarised above convertBmxnet.

import { ConvertError, UnsupportedOpError } from '../errors.js';
import type { XnnGraph, XnnModel, XnnNode } from '../format/xnn.js';
import type { OpName } from '../ops/spec.js';
import type { AccuracyRecord, InputSpec, ModelInfo, Preprocess } from '../types.js';
import { GraphBuilder, finishGraph, toNhwc, type Val } from './builder.js';
import { floatValues, parseMxnetParams, type MxArray } from './mxnet-params.js';
import { NodeAttrs, parseSymbol, type MxNode } from './mxnet-symbol.js';

export const CONVERTER_VERSION = 'xnor-web bmxnet 0.1.0';
const SOFTMAX_OPS = new Set(['SoftmaxOutput', 'softmax', 'SoftmaxActivation']);

export type BmxnetPreset = 'imagenet' | 'cifar10' | 'mnist';

export interface BmxnetOptions {
  /** Class names in output order (the CLI reads them from models/labels/). Default: mnist "0".."9", else none. */
  labels?: string[];
  name?: string;
  description?: string;
  accuracy?: AccuracyRecord[];
  /** File names recorded in provenance.files. */
  sourceFiles?: string[];
  /** Fold BatchNorm and Relu into the preceding conv/dense node (default true). */
  fold?: boolean;
  /** Overrides of the preset's input spec and preprocessing (e.g. another input size). */
  input?: InputSpec;
  preprocess?: Preprocess;
}

const PRESETS: Record<BmxnetPreset, Pick<ModelInfo, 'input' | 'preprocess'>> = {
  imagenet: {
    input: { shape: [1, 224, 224, 3], layout: 'NHWC', colorOrder: 'RGB', valueRange: [0, 255] },
    preprocess: { resizeShortSide: 256, centerCrop: [224, 224], mean: [0, 0, 0], std: [1, 1, 1] },
  },
  cifar10: {
    input: { shape: [1, 32, 32, 3], layout: 'NHWC', colorOrder: 'RGB', valueRange: [0, 255] },
    preprocess: { resizeShortSide: null, centerCrop: null, mean: [0, 0, 0], std: [1, 1, 1] },
  },
  mnist: {
    input: { shape: [1, 28, 28, 1], layout: 'NHWC', colorOrder: 'GRAY', valueRange: [0, 1] },
    preprocess: { resizeShortSide: null, centerCrop: null, mean: [0], std: [1] },
  },
};

class Builder extends GraphBuilder {
  node(where: string, op: OpName, base: string, inputs: string[], attrs: XnnNode['attrs'] = {}): Val {
    return this.addNode(where, op, base, inputs, attrs).val;
  }
}

// The facts this relies on (shared/README.md, docs/FORMAT.md "BMXNet import"), in short:
//   - MXNet is NCHW, we are NHWC: conv weights OIHW → OHWI; a Flatten of C×H×W with H·W > 1
//     yields (c,h,w) order, so later per-feature parameters and (Q)FullyConnected columns are
//     permuted to our (h,w,c) order.
//   - QConvolution / QFullyConnected binarize their own input (sign, x >= 0 → +1), zero-pad
//     before the sign (padded taps are +1: padValue "plus"), and output the XNOR count
//     (K + dot)/2: BinConv2D/BinDense with mul = 1/2, bias = K/2 (+ the layer's bias).
//   - Packed weights: u64 words (stored as f64), set bit = +1. QConvolution: flat over
//     (m, c, kh, kw), bit j of word i = element 64i+j. QFullyConnected: words [K/64][M], bit b
//     of word (y, x) = W[x][64y+b].
//   - BatchNorm: scale = gamma/sqrt(var+eps), shift = beta − mean·scale in float64; gamma = 1
//     when fix_gamma (default true); eps defaults to 1e-3.
/** Converts a BMXNet model; the result is validated (throws ConvertError / UnsupportedOpError). */
export function convertBmxnet(symbolJson: string, params: Uint8Array, preset: BmxnetPreset, opts: BmxnetOptions = {}): XnnModel {
  if (!Object.prototype.hasOwnProperty.call(PRESETS, preset)) throw new ConvertError(`unknown preset "${preset}"`);
  const sym = parseSymbol(symbolJson);
  const arrays = parseMxnetParams(params);
  const b = new Builder();
  const input = opts.input ?? PRESETS[preset].input;
  const preprocess = opts.preprocess ?? PRESETS[preset].preprocess;
  const vals: (Val | MxArray | 'label' | undefined)[] = [];
  let data: Val | undefined;
  const binarized = new Map<string, Val>();

  for (const node of sym.nodes) {
    const where = `node "${node.name}" (${node.op})`;
    if (node.op === 'null') {
      const p = arrays.get(node.name);
      if (p) vals.push(p);
      else if (node.name.endsWith('label')) vals.push('label');
      else {
        if (data) throw new UnsupportedOpError(`${where}: a second graph input (after "${data.name}") is not supported`);
        data = b.input(node.name, { dtype: 'f32', shape: [...input.shape] });
        vals.push(data);
      }
      continue;
    }
    const ctx = new Ctx(node, b, vals, arrays, binarized);
    const out = convertNode(ctx);
    ctx.a.done();
    vals.push(out);
  }
  if (!data) throw new ConvertError('symbol: no graph input (a variable without parameters)');

  const outputs = sym.heads.map(([i, o]) => {
    const v = vals[i];
    if (typeof v !== 'object' || !('type' in v) || o !== 0 || v === data)
      throw new UnsupportedOpError(`heads: output ${o} of node "${sym.nodes[i].name}" cannot be a graph output`);
    if (v.nchw) throw new UnsupportedOpError(`heads: node "${sym.nodes[i].name}" outputs features in NCHW order`);
    return v.name;
  });
  const files = opts.sourceFiles ?? [];
  let graph: XnnGraph = {
    metadata: {
      name: opts.name ?? `bmxnet-${preset}`,
      ...(opts.description !== undefined ? { description: opts.description } : {}),
      input: { ...input, shape: [...input.shape], valueRange: [...input.valueRange] },
      preprocess: structuredClone(preprocess),
      labels: opts.labels ?? (preset === 'mnist' ? Array.from({ length: 10 }, (_, i) => String(i)) : []),
      output: { kind: SOFTMAX_OPS.has(sym.nodes[sym.heads[0][0]].op) ? 'probabilities' : 'logits' },
      accuracy: opts.accuracy ?? [],
      provenance: {
        source: 'BMXNet v1 (hpi-xnor/BMXNet), MXNet symbol + params',
        ...(files.length ? { files: files.join(', ') } : {}),
        license: 'Apache-2.0',
        converter: CONVERTER_VERSION,
        preset,
      },
    },
    inputs: [{ name: data.name, dtype: 'f32', shape: [...input.shape] }],
    outputs,
    nodes: b.nodes,
    tensors: b.tensors,
  };
  return finishGraph(graph, opts.fold ?? true);
}

/** One MXNet node being converted: its attributes, inputs and the builder. */
class Ctx {
  readonly a: NodeAttrs;
  constructor(
    readonly node: MxNode,
    readonly b: Builder,
    private vals: (Val | MxArray | 'label' | undefined)[],
    private arrays: Map<string, MxArray>,
    private binarized: Map<string, Val>,
  ) {
    this.a = new NodeAttrs(node);
  }
  get where() {
    return this.a.where;
  }
  fail(msg: string): never {
    throw new ConvertError(`${this.where}: ${msg}`);
  }
  unsupported(msg: string): never {
    throw new UnsupportedOpError(`${this.where}: ${msg}`);
  }
  get arity() {
    return this.node.inputs.length;
  }
  /** Input `slot` as an activation. */
  value(slot: number): Val {
    const e = this.node.inputs[slot];
    if (!e) this.fail(`missing input ${slot}`);
    const v = this.vals[e[0]];
    if (typeof v !== 'object' || !('type' in v)) this.fail(`input ${slot} ("${this.src(slot)}") must be an activation`);
    if (e[1] !== 0) this.unsupported(`reads output ${e[1]} of "${this.src(slot)}"; only output 0 is supported`);
    return v as Val;
  }
  /** Input `slot` as a parameter array with `n` elements. */
  param(slot: number, n: number): MxArray {
    const e = this.node.inputs[slot];
    if (!e) this.fail(`missing input ${slot}`);
    const v = this.vals[e[0]];
    if (typeof v !== 'object' || 'type' in v) this.fail(`input ${slot} ("${this.src(slot)}") must be a parameter in the .params file`);
    const p = v as MxArray;
    const count = p.shape.reduce((q, d) => q * d, 1);
    if (count !== n) this.fail(`parameter "${p.name}" has ${count} elements [${p.shape.join(',')}], expected ${n}`);
    return p;
  }
  floats(slot: number, n: number): Float32Array {
    return floatValues(this.param(slot, n), this.where);
  }
  private src(slot: number) {
    return this.node.inputs[slot] ? (this.nodeName(this.node.inputs[slot][0]) ?? '?') : '?';
  }
  private nodeName(i: number) {
    const v = this.vals[i];
    return typeof v === 'object' ? v.name : undefined;
  }
  /** x as a 4-D NHWC activation. */
  spatial(x: Val): number[] {
    if (x.type.shape.length !== 4 || x.nchw) this.unsupported(`expects a 4-D input, got [${x.type.shape.join(',')}]`);
    return x.type.shape;
  }
  /** x flattened to [N, H·W·C] (our order; `nchw` records MXNet's). */
  flatten(x: Val, base = `${this.node.name}_flatten`): Val {
    if (x.type.shape.length === 2) return x;
    const [, h, w, c] = this.spatial(x);
    if (x.type.dtype !== 'f32') this.unsupported('flattening a binary 4-D tensor is not supported');
    const out = this.b.node(this.where, 'Flatten', base, [x.name]);
    return h * w > 1 ? { ...out, nchw: [c, h, w] } : out;
  }
  /** x as ±1 (one shared Binarize per source value). */
  sign(x: Val): Val {
    if (x.type.dtype === 'b1') return x;
    let s = this.binarized.get(x.name);
    if (!s) {
      s = { ...this.b.node(this.where, 'Binarize', `${x.name}_sign`, [x.name]), nchw: x.nchw };
      this.binarized.set(x.name, s);
    }
    return s;
  }
  /** BMXNet binary-layer attributes that must hold. */
  binaryAttrs() {
    if (this.a.int('act_bit', 1) !== 1) this.a.unsupported('act_bit');
    if (this.a.bool('scaling_factor', false)) this.a.unsupported('scaling_factor');
    this.a.ignore('binarized_weights_only', 'weight_bit');
  }
  /** Optional bias of `n` entries in input slot 2 (present when the symbol lists it). */
  bias(n: number): Float32Array {
    if (this.arity > 3) this.fail(`takes at most 3 inputs, got ${this.arity}`);
    return this.arity === 3 ? this.floats(2, n) : new Float32Array(n);
  }
}

function convertNode(x: Ctx): Val | undefined {
  const { node, a, b } = x;
  const name = node.name;
  switch (node.op) {
    case 'BatchNorm': {
      a.ignore('momentum', 'use_global_stats', 'cudnn_off', 'output_mean_var');
      if (a.int('axis', 1) !== 1) a.unsupported('axis');
      const eps = a.float('eps', 1e-3);
      const fixGamma = a.bool('fix_gamma', true);
      const v = x.value(0);
      const n = v.nchw ? v.type.shape[1] : v.type.shape[v.type.shape.length - 1];
      const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((s) => x.floats(s, n));
      const scale = new Float32Array(n);
      const shift = new Float32Array(n);
      for (let k = 0; k < n; k++) {
        const i = v.nchw ? toNhwc(k, v.nchw) : k;
        const s = (fixGamma ? 1 : gamma[k]) / Math.sqrt(variance[k] + eps);
        scale[i] = s;
        shift[i] = beta[k] - mean[k] * s;
      }
      const out = b.node(x.where, 'BatchNorm', name, [v.name, b.f32(`${name}_scale`, [n], scale), b.f32(`${name}_shift`, [n], shift)]);
      return { ...out, nchw: v.nchw };
    }
    case 'Convolution':
    case 'QConvolution': {
      a.ignore('workspace', 'cudnn_tune', 'cudnn_off', 'no_bias');
      const binary = node.op === 'QConvolution';
      if (binary) x.binaryAttrs();
      if (a.int('num_group', 1) !== 1) a.unsupported('num_group');
      if (a.str('layout', 'NCHW') !== 'NCHW') a.unsupported('layout');
      const [kh, kw] = a.tuple('kernel', 2);
      const strides = a.tuple('stride', 2, [1, 1]);
      const dilations = a.tuple('dilate', 2, [1, 1]);
      const [ph, pw] = a.tuple('pad', 2, [0, 0]);
      const m = a.int('num_filter');
      if (m < 1) x.fail('num_filter must be a positive integer, got ' + m);
      const v = binary ? x.sign(x.value(0)) : x.value(0);
      const [, , , c] = x.spatial(v);
      const k = c * kh * kw;
      const attrs = { strides, pads: [ph, pw, ph, pw], dilations };
      const bias = x.bias(m);
      if (!binary) {
        const w = x.floats(1, m * k);
        const ohwi = new Float32Array(m * k);
        for (let o = 0; o < m; o++)
          for (let ci = 0; ci < c; ci++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) ohwi[((o * kh + i) * kw + j) * c + ci] = w[((o * c + ci) * kh + i) * kw + j];
        const wn = b.f32(`${name}_weight`, [m, kh, kw, c], ohwi);
        const bn = x.arity === 3 ? b.f32(`${name}_bias`, [m], bias) : '';
        return b.node(x.where, 'Conv2D', name, bn ? [v.name, wn, bn] : [v.name, wn], attrs);
      }
      const words = packedWords(x, 1, m * k);
      const ohwi = new Float32Array(m * k);
      for (let o = 0; o < m; o++)
        for (let ci = 0; ci < c; ci++)
          for (let i = 0; i < kh; i++)
            for (let j = 0; j < kw; j++)
              ohwi[((o * kh + i) * kw + j) * c + ci] = bit(words, o * k + (ci * kh + i) * kw + j) ? 1 : -1;
      return binaryNode(x, 'BinConv2D', v, b.b1(`${name}_weight`, [m, kh, kw, c], ohwi), m, k, bias, { ...attrs, padValue: 'plus' });
    }
    case 'FullyConnected':
    case 'QFullyConnected': {
      a.ignore('no_bias');
      const binary = node.op === 'QFullyConnected';
      if (binary) x.binaryAttrs();
      if (!a.bool('flatten', true)) a.unsupported('flatten');
      const m = a.int('num_hidden');
      if (m < 1) x.fail('num_hidden must be a positive integer, got ' + m);
      let v = x.flatten(x.value(0));
      if (binary) v = x.sign(v);
      else if (v.type.dtype !== 'f32') x.unsupported('a float FullyConnected on a binary input is not supported');
      const k = v.type.shape[1];
      const col = (j: number) => (v.nchw ? toNhwc(j, v.nchw) : j);
      const bias = x.bias(m);
      const w = new Float32Array(m * k);
      if (!binary) {
        const src = x.floats(1, m * k);
        for (let o = 0; o < m; o++) for (let j = 0; j < k; j++) w[o * k + col(j)] = src[o * k + j];
        const wn = b.f32(`${name}_weight`, [m, k], w);
        const bn = x.arity === 3 ? b.f32(`${name}_bias`, [m], bias) : '';
        return b.node(x.where, 'Dense', name, bn ? [v.name, wn, bn] : [v.name, wn]);
      }
      if (k % 64) x.unsupported(`a binary fully-connected layer needs a multiple of 64 inputs, got ${k}`);
      const words = packedWords(x, 1, m * k);
      for (let y = 0; y < k / 64; y++)
        for (let o = 0; o < m; o++)
          for (let t = 0; t < 64; t++) w[o * k + col(64 * y + t)] = bit(words, 64 * (y * m + o) + t) ? 1 : -1;
      return binaryNode(x, 'BinDense', v, b.b1(`${name}_weight`, [m, k], w), m, k, bias, {});
    }
    case 'QActivation': {
      a.ignore('backward_only');
      if (a.int('act_bit', 1) !== 1) a.unsupported('act_bit');
      return x.sign(x.value(0));
    }
    case 'Activation': {
      const t = a.str('act_type');
      const v = x.value(0);
      if (t !== 'relu' && t !== 'tanh') a.unsupported('act_type');
      if (v.type.dtype !== 'f32') x.unsupported('activation of a binary tensor');
      return { ...b.node(x.where, t === 'relu' ? 'Relu' : 'Tanh', name, [v.name]), nchw: v.nchw };
    }
    case 'Pooling':
      return pooling(x);
    case 'elemwise_add':
    case '_Plus':
    case '_plus': {
      const [p, q] = [x.value(0), x.value(1)];
      if (x.arity !== 2) x.fail(`takes 2 inputs, got ${x.arity}`);
      if (String(p.nchw) !== String(q.nchw)) x.unsupported('operands in different feature orders');
      return { ...b.node(x.where, 'Add', name, [p.name, q.name]), nchw: p.nchw };
    }
    case 'Flatten':
      return x.flatten(x.value(0), name);
    case 'Dropout':
      a.ignore('p', 'mode', 'axes', 'cudnn_off');
      return x.value(0);
    case 'SoftmaxOutput':
    case 'softmax':
    case 'SoftmaxActivation': {
      if (node.op !== 'SoftmaxOutput' && x.arity !== 1) x.fail(`takes 1 input, got ${x.arity}`);
      a.ignore('grad_scale', 'ignore_label', 'use_ignore', 'normalization', 'out_grad', 'smooth_alpha', 'preserve_shape');
      if (a.bool('multi_output', false)) a.unsupported('multi_output');
      if (a.str('mode', 'instance') !== 'instance') a.unsupported('mode');
      if (![-1, 1].includes(a.int('axis', -1))) a.unsupported('axis');
      if (a.float('temperature', 1) !== 1) a.unsupported('temperature');
      const v = x.value(0);
      if (v.type.shape.length !== 2 || v.nchw) x.unsupported(`expects a 2-D input, got [${v.type.shape.join(',')}]`);
      return b.node(x.where, 'Softmax', name, [v.name]);
    }
    default:
      throw new UnsupportedOpError(`${x.where}: op ${node.op} is not supported`);
  }
}

/** BinConv2D / BinDense with BMXNet's XNOR-count output: (K + dot)/2 + bias = ½·dot + (K/2 + bias). */
function binaryNode(x: Ctx, op: 'BinConv2D' | 'BinDense', v: Val, w: string, m: number, k: number, bias: Float32Array, attrs: XnnNode['attrs']): Val {
  const name = x.node.name;
  const mul = x.b.f32(`${name}_mul`, [m], new Float32Array(m).fill(0.5));
  const add = x.b.f32(`${name}_bias`, [m], Float32Array.from(bias, (bv) => k / 2 + bv));
  return x.b.node(x.where, op, name, [v.name, w, mul, add], attrs);
}

/** The packed u64 words of a binary weight parameter holding `bits` bits (any 8-byte dtype). */
function packedWords(x: Ctx, slot: number, bits: number): Uint8Array {
  const words = Math.ceil(bits / 64);
  const p = x.param(slot, words);
  if (p.bytes.length !== words * 8)
    x.unsupported(`binary weights "${p.name}" must be packed 64-bit words (stored as f64), got ${p.dtype}`);
  return p.bytes;
}

/** Bit i (LSB first) of a little-endian u64 word array. */
const bit = (words: Uint8Array, i: number) => (words[i >> 3] >> (i & 7)) & 1;

function pooling(x: Ctx): Val {
  const { a, b, node } = x;
  a.ignore('cudnn_off');
  const type = a.str('pool_type', 'max');
  if (type !== 'max' && type !== 'avg') a.unsupported('pool_type');
  const v = x.value(0);
  const [, h, w] = x.spatial(v);
  if (type === 'avg' && v.type.dtype !== 'f32') x.unsupported('average pooling of a binary tensor');
  if (a.bool('global_pool', false)) {
    a.ignore('kernel', 'stride', 'pad', 'pooling_convention', 'count_include_pad');
    if (type === 'avg') return b.node(x.where, 'GlobalAvgPool', node.name, [v.name]);
    return b.node(x.where, 'MaxPool', node.name, [v.name], { kernel: [h, w] });
  }
  const [kh, kw] = a.tuple('kernel', 2);
  const [sh, sw] = a.tuple('stride', 2, [1, 1]);
  const [ph, pw] = a.tuple('pad', 2, [0, 0]);
  const convention = a.str('pooling_convention', 'valid');
  if (convention !== 'valid' && convention !== 'full') a.unsupported('pooling_convention');
  // "full" rounds the output size up: extend the bottom/right padding to cover the last window.
  let [pb, pr] = [ph, pw];
  if (convention === 'full') {
    const oh = Math.ceil((h + 2 * ph - kh) / sh) + 1;
    const ow = Math.ceil((w + 2 * pw - kw) / sw) + 1;
    pb = Math.max(ph, (oh - 1) * sh + kh - h - ph);
    pr = Math.max(pw, (ow - 1) * sw + kw - w - pw);
    if (type === 'avg' && (pb !== ph || pr !== pw)) a.unsupported('pooling_convention', 'full (average pooling with a partial last window)');
  }
  const attrs: XnnNode['attrs'] = { kernel: [kh, kw], strides: [sh, sw], pads: [ph, pw, pb, pr] };
  if (type === 'max') {
    a.ignore('count_include_pad');
    return b.node(x.where, 'MaxPool', node.name, [v.name], attrs);
  }
  return b.node(x.where, 'AvgPool', node.name, [v.name], { ...attrs, countIncludePad: a.bool('count_include_pad', true) });
}
