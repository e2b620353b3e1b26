// The graph ops of a `.xnn` model, each declared exactly once (inputs, attributes, shape rule);
// the validator, the reference interpreter and the WASM runtime all read these declarations.

/**
 * Element type: `b1` is binary (±1), bit-packed along its last axis in a file
 * (docs/KERNELS.md), a Float32Array of ±1 in the reference interpreter.
 */
export type DType = 'f32' | 'b1';
/** A value's type. Layout: activations NHWC, conv weights OHWI, dense weights [O, K]. */
export interface TensorType {
  dtype: DType;
  shape: number[];
}

export type AttrValue = number | number[] | boolean | string;
export type Attrs = Record<string, AttrValue>;

interface AttrDecl {
  kind: 'int' | 'ints' | 'float' | 'bool' | 'enum';
  /** For `ints`: the required length (absent: any length up to 16). */
  len?: number;
  /** For `enum`: the allowed values. */
  values?: readonly string[];
  /** Absent means required. */
  default?: AttrValue;
}

interface InputDecl {
  name: string;
  dtype: DType | 'any';
  optional?: boolean;
}

export interface OpDecl {
  inputs: readonly InputDecl[];
  attrs: Readonly<Record<string, AttrDecl>>;
  /** Output type from input types and resolved attributes; throws ShapeError on mismatch. */
  infer(ins: readonly (TensorType | undefined)[], a: ResolvedAttrs): TensorType;
  /**
   * Bytes of working memory beyond the output that running the op takes, for ops where the
   * header alone can make it large (padding and dilation cost no bytes in the file). Called
   * after `infer` succeeded; the validator bounds it like an activation.
   */
  workBytes?(ins: readonly (TensorType | undefined)[], a: ResolvedAttrs): number;
}

/** Attributes after defaults are applied; accessors assert the declared kind. */
export interface ResolvedAttrs {
  int(name: string): number;
  ints(name: string): number[];
  float(name: string): number;
  bool(name: string): boolean;
  str(name: string): string;
}

/** A shape rule failed; the validator wraps it with the node's name. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

const fail = (msg: string): never => {
  throw new ShapeError(msg);
};

const need = (cond: boolean, msg: string) => {
  if (!cond) fail(msg);
};

const fmt = (t: TensorType | undefined) => (t ? `${t.dtype}[${t.shape.join(',')}]` : 'none');

function rank(t: TensorType | undefined, r: number, what: string): number[] {
  need(!!t && t.shape.length === r, `${what} must have rank ${r}, got ${fmt(t)}`);
  return t!.shape;
}

function vec(t: TensorType | undefined, n: number, what: string) {
  need(!!t && t.shape.length === 1 && t.shape[0] === n, `${what} must be [${n}], got ${fmt(t)}`);
}

/** Output extent of a sliding window: floor((in + pads − dil·(k−1) − 1) / stride) + 1. */
export function windowOut(size: number, k: number, stride: number, padA: number, padB: number, dil = 1): number {
  return Math.floor((size + padA + padB - dil * (k - 1) - 1) / stride) + 1;
}

const windowAttrs = {
  strides: { kind: 'ints', len: 2, default: [1, 1] },
  // top, left, bottom, right
  pads: { kind: 'ints', len: 4, default: [0, 0, 0, 0] },
  dilations: { kind: 'ints', len: 2, default: [1, 1] },
} as const satisfies Record<string, AttrDecl>;

const activation = { kind: 'enum', values: ['none', 'relu'], default: 'none' } as const satisfies AttrDecl;

function checkWindow(a: ResolvedAttrs, kh: number, kw: number, withDilation: boolean) {
  const [sh, sw] = a.ints('strides');
  const [pt, pl, pb, pr] = a.ints('pads');
  need(sh >= 1 && sw >= 1, `strides must be >= 1, got [${sh},${sw}]`);
  need(pt >= 0 && pl >= 0 && pb >= 0 && pr >= 0, `pads must be >= 0, got [${pt},${pl},${pb},${pr}]`);
  need(kh >= 1 && kw >= 1, `kernel must be >= 1, got ${kh}x${kw}`);
  if (withDilation) {
    const [dh, dw] = a.ints('dilations');
    need(dh >= 1 && dw >= 1, `dilations must be >= 1, got [${dh},${dw}]`);
  }
}

/** Spatial output of a conv/pool window over NHWC input x; checks the window fits. */
function convOut(x: number[], kh: number, kw: number, a: ResolvedAttrs, withDilation = true): [number, number] {
  checkWindow(a, kh, kw, withDilation);
  const [sh, sw] = a.ints('strides');
  const [pt, pl, pb, pr] = a.ints('pads');
  const [dh, dw] = withDilation ? a.ints('dilations') : [1, 1];
  const oh = windowOut(x[1], kh, sh, pt, pb, dh);
  const ow = windowOut(x[2], kw, sw, pl, pr, dw);
  need(oh >= 1 && ow >= 1, `window ${kh}x${kw} does not fit input ${x[1]}x${x[2]} with these pads/strides`);
  return [oh, ow];
}

/** Shared rule of the three convolutions: x NHWC, w OHWI with the same C. */
function convInfer(ins: readonly (TensorType | undefined)[], a: ResolvedAttrs): TensorType {
  const x = rank(ins[0], 4, 'input');
  const w = rank(ins[1], 4, 'weights');
  need(w[3] === x[3], `weights have ${w[3]} input channels, input has ${x[3]}`);
  const [oh, ow] = convOut(x, w[1], w[2], a);
  return { dtype: 'f32', shape: [x[0], oh, ow, w[0]] };
}

/** A padded conv copies its input with the padding written out (as f32 at most). */
function paddedInputBytes(ins: readonly (TensorType | undefined)[], a: ResolvedAttrs): number {
  const [n, h, w, c] = ins[0]!.shape;
  const [pt, pl, pb, pr] = a.ints('pads');
  return pt + pl + pb + pr === 0 ? 0 : n * (h + pt + pb) * (w + pl + pr) * c * 4;
}

function perChannel(ins: readonly (TensorType | undefined)[], from: number, names: string[], n: number) {
  names.forEach((name, i) => {
    const t = ins[from + i];
    if (t) vec(t, n, name);
  });
}

function poolInfer(ins: readonly (TensorType | undefined)[], a: ResolvedAttrs, dilated = false): TensorType {
  const x = rank(ins[0], 4, 'input');
  const [kh, kw] = a.ints('kernel');
  const [oh, ow] = convOut(x, kh, kw, a, dilated);
  const [pt, pl, pb, pr] = a.ints('pads');
  // Padding at least as large as the window would produce windows with no real tap.
  need(pt < kh && pb < kh && pl < kw && pr < kw, `pads must be smaller than the pooling window`);
  return { dtype: ins[0]!.dtype, shape: [x[0], oh, ow, x[3]] };
}

const unary = (dtype: DType | 'any'): OpDecl => ({
  inputs: [{ name: 'x', dtype }],
  attrs: {},
  infer: (ins) => ({ dtype: ins[0]!.dtype, shape: [...ins[0]!.shape] }),
});

/**
 * Every op. Output transforms are evaluated in f32, left to right, exactly as written here, so
 * that the WASM kernels can match the reference bit for bit:
 *   BinConv2D:  y = ((mul[c] · dot) · K[n,p]) + bias[c]   (· K only when the K map is given)
 *   BinDense:   y = ((mul[o] · dot) · K[n]) + bias[o]       (· K only when the K map is given)
 * where dot is the ±1 dot product (an integer) and relu, if asked, is applied last.
 */
export const OPS = {
  /**
   * Float convolution (first layer, glue). Zero padding. `integerStem`: the weights lie on a
   * power-of-two grid per output channel (w = q·2^e, q a 16-bit integer), so on integer inputs
   * every engine computes it exactly and the runtime may run it as an integer dot product
   * (docs/KERNELS.md "Integer stem"); absent in older files = false.
   */
  Conv2D: {
    inputs: [
      { name: 'x', dtype: 'f32' },
      { name: 'w', dtype: 'f32' },
      { name: 'bias', dtype: 'f32', optional: true },
    ],
    attrs: { ...windowAttrs, activation, integerStem: { kind: 'bool', default: false } },
    workBytes: paddedInputBytes,
    infer(ins, a) {
      const out = convInfer(ins, a);
      perChannel(ins, 2, ['bias'], out.shape[3]);
      return out;
    },
  },
  /** XNOR convolution: ±1 input × ±1 weights, output transform in the header comment. */
  BinConv2D: {
    inputs: [
      { name: 'x', dtype: 'b1' },
      { name: 'w', dtype: 'b1' },
      { name: 'mul', dtype: 'f32' },
      { name: 'bias', dtype: 'f32' },
      { name: 'kmap', dtype: 'f32', optional: true },
    ],
    attrs: {
      ...windowAttrs,
      // What a padded tap of the ±1 input holds: +1, −1, or 0 (contributes nothing).
      padValue: { kind: 'enum', values: ['plus', 'minus', 'zero'], default: 'zero' },
      activation,
    },
    workBytes: paddedInputBytes,
    infer(ins, a) {
      const out = convInfer(ins, a);
      perChannel(ins, 2, ['mul', 'bias'], out.shape[3]);
      const k = ins[4];
      if (k) {
        const [n, oh, ow] = out.shape;
        need(
          k.shape.length === 4 && k.shape[0] === n && k.shape[1] === oh && k.shape[2] === ow && k.shape[3] === 1,
          `kmap must be [${n},${oh},${ow},1], got ${fmt(k)}`,
        );
      }
      return out;
    },
  },
  /** Binary-weight convolution: float input × ±1 weights; y = (mul · conv) + bias. */
  BwnConv2D: {
    inputs: [
      { name: 'x', dtype: 'f32' },
      { name: 'w', dtype: 'b1' },
      { name: 'mul', dtype: 'f32' },
      { name: 'bias', dtype: 'f32' },
    ],
    attrs: { ...windowAttrs, activation },
    workBytes: paddedInputBytes,
    infer(ins, a) {
      const out = convInfer(ins, a);
      perChannel(ins, 2, ['mul', 'bias'], out.shape[3]);
      return out;
    },
  },
  /** sign: x >= 0 → +1, otherwise −1 (NaN → −1). Packs along the last axis. */
  Binarize: {
    inputs: [{ name: 'x', dtype: 'f32' }],
    attrs: {},
    infer: (ins) => ({ dtype: 'b1', shape: [...ins[0]!.shape] }),
  },
  /**
   * XNOR-Net's K: channel-mean of |x|, box-filtered (zero padded, divided by kh·kw).
   * A 2-D x [N, F] (the K of a fully connected layer) gives [N, 1] = mean |x| over F; it is
   * the 4-D rule on [N, 1, 1, F], so the window must be 1×1 without padding.
   */
  InputScale: {
    inputs: [{ name: 'x', dtype: 'f32' }],
    attrs: { kernel: { kind: 'ints', len: 2 }, ...windowAttrs },
    infer(ins, a) {
      if (ins[0]?.shape.length === 2) {
        const [n, f] = ins[0].shape;
        const [oh, ow] = convOut([n, 1, 1, f], ...(a.ints('kernel') as [number, number]), a);
        need(oh === 1 && ow === 1, `a 2-D input needs a 1x1 window without padding`);
        return { dtype: 'f32', shape: [n, 1] };
      }
      const x = rank(ins[0], 4, 'input');
      const [kh, kw] = a.ints('kernel');
      const [oh, ow] = convOut(x, kh, kw, a);
      return { dtype: 'f32', shape: [x[0], oh, ow, 1] };
    },
  },
  Dense: {
    inputs: [
      { name: 'x', dtype: 'f32' },
      { name: 'w', dtype: 'f32' },
      { name: 'bias', dtype: 'f32', optional: true },
    ],
    attrs: { activation },
    infer(ins) {
      return denseInfer(ins, 'f32');
    },
  },
  BinDense: {
    inputs: [
      { name: 'x', dtype: 'b1' },
      { name: 'w', dtype: 'b1' },
      { name: 'mul', dtype: 'f32' },
      { name: 'bias', dtype: 'f32' },
      { name: 'kmap', dtype: 'f32', optional: true },
    ],
    attrs: { activation },
    infer(ins) {
      const out = denseInfer(ins, 'f32', ['mul', 'bias']);
      const k = ins[4];
      if (k) need(k.shape.length === 2 && k.shape[0] === out.shape[0] && k.shape[1] === 1, `kmap must be [${out.shape[0]},1], got ${fmt(k)}`);
      return out;
    },
  },
  BwnDense: {
    inputs: [
      { name: 'x', dtype: 'f32' },
      { name: 'w', dtype: 'b1' },
      { name: 'mul', dtype: 'f32' },
      { name: 'bias', dtype: 'f32' },
    ],
    attrs: { activation },
    infer(ins) {
      return denseInfer(ins, 'f32', ['mul', 'bias']);
    },
  },
  /** Per-channel affine on the last axis (a folded BatchNorm): y = (x · scale) + shift. */
  BatchNorm: {
    inputs: [
      { name: 'x', dtype: 'f32' },
      { name: 'scale', dtype: 'f32' },
      { name: 'shift', dtype: 'f32' },
    ],
    attrs: {},
    infer(ins) {
      const x = ins[0]!.shape;
      need(x.length >= 1, 'input must have rank >= 1');
      perChannel(ins, 1, ['scale', 'shift'], x[x.length - 1]);
      return { dtype: 'f32', shape: [...x] };
    },
  },
  Relu: unary('f32'),
  Tanh: unary('f32'),
  /** Max over the window's real taps (padding never wins). On b1 it stays binary. */
  MaxPool: {
    inputs: [{ name: 'x', dtype: 'any' }],
    attrs: { kernel: { kind: 'ints', len: 2 }, strides: windowAttrs.strides, pads: windowAttrs.pads, dilations: windowAttrs.dilations },
    infer(ins, a) {
      const d = a.ints('dilations');
      need(d[0] >= 1 && d[1] >= 1, `dilations must be >= 1, got [${d.join(',')}]`);
      need(ins[0]?.dtype === 'f32' || (d[0] === 1 && d[1] === 1), 'a dilated MaxPool needs an f32 input');
      return poolInfer(ins, a, true);
    },
  },
  AvgPool: {
    inputs: [{ name: 'x', dtype: 'f32' }],
    attrs: {
      kernel: { kind: 'ints', len: 2 },
      strides: windowAttrs.strides,
      pads: windowAttrs.pads,
      countIncludePad: { kind: 'bool', default: false },
    },
    infer: poolInfer,
  },
  /** [N,H,W,C] → [N,1,1,C]. */
  GlobalAvgPool: {
    inputs: [{ name: 'x', dtype: 'f32' }],
    attrs: {},
    infer(ins) {
      const x = rank(ins[0], 4, 'input');
      return { dtype: 'f32', shape: [x[0], 1, 1, x[3]] };
    },
  },
  Add: {
    inputs: [
      { name: 'a', dtype: 'f32' },
      { name: 'b', dtype: 'f32' },
    ],
    attrs: {},
    infer(ins) {
      const [a, b] = ins as TensorType[];
      need(a.shape.join() === b.shape.join(), `operands differ: ${fmt(a)} vs ${fmt(b)}`);
      return { dtype: 'f32', shape: [...a.shape] };
    },
  },
  /** [N, ...] → [N, prod(...)] in memory (NHWC) order. */
  Flatten: {
    inputs: [{ name: 'x', dtype: 'any' }],
    attrs: {},
    infer(ins) {
      const x = ins[0]!;
      need(x.shape.length >= 2, `input must have rank >= 2, got ${fmt(x)}`);
      need(x.dtype === 'f32' || x.shape.length === 2, 'a b1 tensor can only be flattened when already 2-D');
      return { dtype: x.dtype, shape: [x.shape[0], x.shape.slice(1).reduce((p, d) => p * d, 1)] };
    },
  },
  /** Softmax over the last axis. */
  Softmax: unary('f32'),

  // --- N-D float glue of imported graphs (ONNX). Shapes are storage shapes (row-major). ---
  /**
   * Elementwise y = fn(x): sigmoid 1/(1+e^−x); sign −1/0/+1 (ONNX's Sign: 0 → 0, unlike
   * Binarize); abs; neg; leakyRelu x < 0 ? alpha·x : x; clip min(max(x, alpha), beta);
   * floor; sqrt (correctly rounded, as f32.sqrt).
   */
  Unary: {
    inputs: [{ name: 'x', dtype: 'f32' }],
    attrs: {
      fn: { kind: 'enum', values: ['sigmoid', 'sign', 'abs', 'neg', 'leakyRelu', 'clip', 'floor', 'sqrt'] },
      alpha: { kind: 'float', default: 0 },
      beta: { kind: 'float', default: 0 },
    },
    infer(ins, a) {
      need(a.str('fn') !== 'clip' || a.float('alpha') <= a.float('beta'), `clip needs alpha (min) <= beta (max)`);
      return { dtype: 'f32', shape: [...ins[0]!.shape] };
    },
  },
  /**
   * y = fn(a, b) with numpy broadcasting over operands of one rank (a dimension is equal or
   * 1): add, sub, mul, div, prelu (a < 0 ? a·b : a), max, min. Computed in f32.
   */
  Arith: {
    inputs: [
      { name: 'a', dtype: 'f32' },
      { name: 'b', dtype: 'f32' },
    ],
    attrs: { fn: { kind: 'enum', values: ['add', 'sub', 'mul', 'div', 'prelu', 'max', 'min'] } },
    infer(ins) {
      const [a, b] = ins as TensorType[];
      return { dtype: 'f32', shape: broadcastShape(a.shape, b.shape) };
    },
  },
  /** y = x with axes permuted: y.shape[j] = x.shape[perm[j]]. */
  Transpose: {
    inputs: [{ name: 'x', dtype: 'f32' }],
    attrs: { perm: { kind: 'ints' } },
    infer(ins, a) {
      const x = ins[0]!.shape;
      const perm = a.ints('perm');
      need(perm.length === x.length && [...perm].sort((p, q) => p - q).every((p, i) => p === i), `perm [${perm.join(',')}] is not a permutation of ${x.length} axes`);
      return { dtype: 'f32', shape: perm.map((p) => x[p]) };
    },
  },
  /** Same values in row-major order, another shape (a reshape: no data moves). */
  Reshape: {
    inputs: [{ name: 'x', dtype: 'f32' }],
    attrs: { shape: { kind: 'ints' } },
    infer(ins, a) {
      const x = ins[0]!.shape;
      const shape = a.ints('shape');
      need(shape.length >= 1 && shape.every((d) => d >= 1), `shape [${shape.join(',')}] must be positive`);
      need(shape.reduce((p, d) => p * d, 1) === x.reduce((p, d) => p * d, 1), `shape [${shape.join(',')}] holds a different count than ${fmt(ins[0])}`);
      return { dtype: 'f32', shape: [...shape] };
    },
  },
  /**
   * pads = [begin of each axis…, end of each axis…] (ONNX's order), >= 0. mode constant
   * (value), reflect (mirror, edge not repeated; pads < the axis), edge (repeat the edge).
   */
  Pad: {
    inputs: [{ name: 'x', dtype: 'f32' }],
    attrs: {
      pads: { kind: 'ints' },
      mode: { kind: 'enum', values: ['constant', 'reflect', 'edge'], default: 'constant' },
      value: { kind: 'float', default: 0 },
    },
    infer(ins, a) {
      const x = ins[0]!.shape;
      const pads = a.ints('pads');
      need(pads.length === 2 * x.length && pads.every((p) => p >= 0), `pads must be ${2 * x.length} integers >= 0, got [${pads.join(',')}]`);
      if (a.str('mode') === 'reflect') need(x.every((d, i) => pads[i] < d && pads[i + x.length] < d), 'reflect pads must be smaller than the axis');
      return { dtype: 'f32', shape: x.map((d, i) => d + pads[i] + pads[i + x.length]) };
    },
  },
  /** Joins x0, x1, … (up to 16, one rank, equal except on `axis`) along `axis`. */
  Concat: {
    inputs: Array.from({ length: 16 }, (_, i) => ({ name: `x${i}`, dtype: 'f32' as const, optional: i > 0 })),
    attrs: { axis: { kind: 'int' } },
    infer(ins, a) {
      const xs = ins.filter((t): t is TensorType => !!t);
      const r = xs[0].shape.length;
      const axis = a.int('axis');
      need(axis >= 0 && axis < r, `axis ${axis} out of range for rank ${r}`);
      for (const t of xs)
        need(t.shape.length === r && t.shape.every((d, i) => i === axis || d === xs[0].shape[i]), `inputs differ off axis ${axis}: ${xs.map(fmt).join(' vs ')}`);
      const shape = [...xs[0].shape];
      shape[axis] = xs.reduce((p, t) => p + t.shape[axis], 0);
      return { dtype: 'f32', shape };
    },
  },
  /** Grouped (depthwise when group = C) float convolution: w [O, KH, KW, C/group], zero padding. */
  GroupConv2D: {
    inputs: [
      { name: 'x', dtype: 'f32' },
      { name: 'w', dtype: 'f32' },
      { name: 'bias', dtype: 'f32', optional: true },
    ],
    attrs: { ...windowAttrs, group: { kind: 'int' }, activation },
    workBytes: () => 0,
    infer(ins, a) {
      const x = rank(ins[0], 4, 'input');
      const w = rank(ins[1], 4, 'weights');
      const g = a.int('group');
      need(g >= 1 && x[3] % g === 0 && w[0] % g === 0, `group ${g} must divide input channels ${x[3]} and outputs ${w[0]}`);
      need(w[3] * g === x[3], `weights have ${w[3]} input channels per group, input has ${x[3]} / ${g}`);
      const [oh, ow] = convOut(x, w[1], w[2], a);
      perChannel(ins, 2, ['bias'], w[0]);
      return { dtype: 'f32', shape: [x[0], oh, ow, w[0]] };
    },
  },
} as const satisfies Record<string, OpDecl>;

/** numpy broadcasting of two shapes of one rank. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  need(a.length === b.length, `operands need one rank: [${a.join(',')}] vs [${b.join(',')}]`);
  return a.map((d, i) => {
    need(d === b[i] || d === 1 || b[i] === 1, `shapes [${a.join(',')}] and [${b.join(',')}] do not broadcast`);
    return d === 1 ? b[i] : d;
  });
}

export type OpName = keyof typeof OPS;

export function isOpName(op: string): op is OpName {
  return Object.prototype.hasOwnProperty.call(OPS, op);
}

function denseInfer(ins: readonly (TensorType | undefined)[], dtype: DType, perOut: string[] = ['bias']): TensorType {
  const x = rank(ins[0], 2, 'input');
  const w = rank(ins[1], 2, 'weights');
  need(w[1] === x[1], `weights have ${w[1]} inputs, input has ${x[1]}`);
  perChannel(ins, 2, perOut, w[0]);
  return { dtype, shape: [x[0], w[0]] };
}

/**
 * Checks a node's attributes against its declaration and applies defaults. Throws ShapeError
 * naming the attribute; unknown attributes are errors too (a typo must not be ignored).
 */
export function resolveAttrs(op: OpName, given: Readonly<Record<string, unknown>>): ResolvedAttrs {
  const decl: Readonly<Record<string, AttrDecl>> = OPS[op].attrs;
  for (const k of Object.keys(given)) need(Object.prototype.hasOwnProperty.call(decl, k), `unknown attribute "${k}"`);
  const v: Record<string, AttrValue> = {};
  for (const [k, d] of Object.entries(decl)) {
    const raw = Object.prototype.hasOwnProperty.call(given, k) ? given[k] : d.default;
    need(raw !== undefined, `missing attribute "${k}"`);
    v[k] = checkAttr(k, d, raw);
  }
  const get = (k: string) => {
    need(k in v, `op ${op} has no attribute "${k}"`);
    return v[k];
  };
  return {
    int: (k) => get(k) as number,
    ints: (k) => get(k) as number[],
    float: (k) => get(k) as number,
    bool: (k) => get(k) as boolean,
    str: (k) => get(k) as string,
  };
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);

function checkAttr(k: string, d: AttrDecl, raw: unknown): AttrValue {
  switch (d.kind) {
    case 'int':
      need(isInt(raw), `attribute "${k}" must be an integer`);
      return raw as number;
    case 'float':
      need(typeof raw === 'number' && Number.isFinite(raw), `attribute "${k}" must be a finite number`);
      return raw as number;
    case 'bool':
      need(typeof raw === 'boolean', `attribute "${k}" must be true or false`);
      return raw as boolean;
    case 'enum':
      need(typeof raw === 'string' && d.values!.includes(raw), `attribute "${k}" must be one of ${d.values!.join('|')}`);
      return raw as string;
    case 'ints':
      need(
        Array.isArray(raw) && (d.len === undefined ? raw.length <= 16 : raw.length === d.len) && raw.every((x) => isInt(x) && Math.abs(x) < 1 << 20),
        `attribute "${k}" must be ${d.len ?? 'at most 16'} integers`,
      );
      return [...(raw as number[])];
  }
}
