// Constant folding for the ONNX importer: a node whose inputs are all constants is evaluated
// at conversion in ONNX's own semantics, and its outputs become constants (foldNode).

import { dtypeName, type Const, type NodeProto, type GraphProto } from './proto.js';
import type { NodeCtx } from './node.js';

type Data = Float32Array | number[];
const isFloat = (c: Const) => c.data instanceof Float32Array;
const size = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);

function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  for (let d = dims.length - 1, k = 1; d >= 0; d--) (s[d] = k), (k *= dims[d]);
  return s;
}

/** Numpy broadcasting of n constants: the output dims and, per input, index → input index. */
function broadcast(c: NodeCtx, ks: Const[]): { dims: number[]; at: ((i: number) => number)[] } {
  const r = Math.max(...ks.map((k) => k.dims.length));
  const padded = ks.map((k) => [...new Array(r - k.dims.length).fill(1), ...k.dims]);
  const dims = Array.from({ length: r }, (_, d) => Math.max(...padded.map((p) => p[d])));
  padded.forEach((p, j) => {
    if (p.some((x, d) => x !== 1 && x !== dims[d])) c.fail(`constant input ${j} [${ks[j].dims.join(',')}] does not broadcast to [${dims.join(',')}]`);
  });
  const os = strides(dims);
  const at = padded.map((p) => {
    const is = strides(p);
    return (i: number) => {
      let k = 0;
      for (let d = 0; d < r; d++) if (p[d] !== 1) k += (Math.floor(i / os[d]) % dims[d]) * is[d];
      return k;
    };
  });
  return { dims, at };
}

function elementwise(c: NodeCtx, ks: Const[], fn: (...v: number[]) => number, intOut?: boolean): Const {
  const { dims, at } = broadcast(c, ks);
  const n = size(dims);
  const float = !intOut && ks.some(isFloat);
  const data: Data = float ? new Float32Array(n) : new Array<number>(n);
  for (let i = 0; i < n; i++) data[i] = fn(...ks.map((k, j) => k.data[at[j](i)]));
  return { name: '', dims, dtype: float ? 1 : ks[0].dtype, data };
}

const unary = (fn: (v: number) => number) => (c: NodeCtx, [x]: Const[]) => [{ ...x, data: isFloat(x) ? Float32Array.from(x.data, fn) : Array.from(x.data, fn) }];
const binary = (fn: (a: number, b: number) => number) => (c: NodeCtx, ks: Const[]) => [elementwise(c, ks, fn)];

function axesOf(c: NodeCtx, rank: number, fromInput: Const | undefined): number[] {
  const raw = fromInput ? Array.from(fromInput.data) : c.ints('axes', []);
  return raw.map((a) => (a < 0 ? a + rank : a));
}

function reduce(kind: 'mean' | 'sum' | 'max' | 'min') {
  return (c: NodeCtx, [x, axesK]: Const[]): Const[] => {
    const r = x.dims.length;
    let axes = axesOf(c, r, c.opset >= 18 || (kind === 'sum' && c.opset >= 13) ? axesK : undefined);
    if (!axes.length) axes = c.int('noop_with_empty_axes', 0) ? [] : x.dims.map((_, i) => i);
    const keep = c.int('keepdims', 1) !== 0;
    const outDims = x.dims.map((d, i) => (axes.includes(i) ? 1 : d));
    const n = size(outDims);
    const acc = new Float64Array(n).fill(kind === 'max' ? -Infinity : kind === 'min' ? Infinity : 0);
    const xs = strides(x.dims), os = strides(outDims);
    for (let i = 0; i < x.data.length; i++) {
      let o = 0;
      for (let d = 0; d < r; d++) if (!axes.includes(d)) o += (Math.floor(i / xs[d]) % x.dims[d]) * os[d];
      const v = x.data[i];
      acc[o] = kind === 'max' ? Math.max(acc[o], v) : kind === 'min' ? Math.min(acc[o], v) : acc[o] + v;
    }
    const count = size(axes.map((a) => x.dims[a]));
    const data = Float32Array.from(acc, (v) => (kind === 'mean' ? v / count : v));
    return [{ name: '', dims: keep ? outDims : x.dims.filter((_, i) => !axes.includes(i)), dtype: 1, data: isFloat(x) ? data : Array.from(data) }];
  };
}

function transpose(x: Const, perm: number[]): Const {
  const dims = perm.map((p) => x.dims[p]);
  const xs = strides(x.dims), os = strides(dims);
  const n = x.data.length;
  const data: Data = isFloat(x) ? new Float32Array(n) : new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let k = 0;
    for (let d = 0; d < dims.length; d++) k += (Math.floor(i / os[d]) % dims[d]) * xs[perm[d]];
    data[i] = x.data[k];
  }
  return { ...x, dims, data };
}

/** Output dims of an ONNX Reshape of `dims` to `shape` (0 copies, −1 infers). */
export function reshapeDims(c: NodeCtx, dims: readonly number[], shape: ArrayLike<number>): number[] {
  const allowZero = c.int('allowzero', 0) !== 0;
  const t = Array.from(shape, (d, i) => (d === 0 && !allowZero ? dims[i] : d));
  const known = t.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const res = t.map((d) => (d === -1 ? size(dims) / known : d));
  if (size(res) !== size(dims) || res.some((d) => !Number.isInteger(d) || d < 0))
    c.fail(`cannot reshape [${dims.join(',')}] to [${Array.from(shape).join(',')}]`);
  return res;
}

export function squeezeDims(c: NodeCtx, dims: readonly number[], axesK: Const | undefined): number[] {
  const axes = axesOf(c, dims.length, c.opset >= 13 ? axesK : undefined);
  return axes.length ? dims.filter((_, i) => !axes.includes(i)) : dims.filter((d) => d !== 1);
}
export function unsqueezeDims(c: NodeCtx, dims: readonly number[], axesK: Const | undefined): number[] {
  const r = dims.length + (c.opset >= 13 ? axesK?.data.length ?? 0 : c.ints('axes', []).length);
  const axes = axesOf(c, r, c.opset >= 13 ? axesK : undefined);
  const out: number[] = [];
  for (let i = 0, j = 0; i < r; i++) out.push(axes.includes(i) ? 1 : dims[j++]);
  return out;
}

type Eval = (c: NodeCtx, ins: Const[]) => Const[];

/** ONNX ops evaluated on constants. */
export const CONST_EVAL: Record<string, Eval> = {
  Identity: (c, [x]) => [x],
  Dropout: (c, [x]) => [x],
  Sign: unary((v) => (v > 0 ? 1 : v < 0 ? -1 : 0)),
  Abs: unary(Math.abs),
  Neg: unary((v) => -v),
  Sqrt: unary(Math.sqrt),
  Reciprocal: unary((v) => 1 / v),
  Exp: unary(Math.exp),
  Relu: unary((v) => Math.max(v, 0)),
  Tanh: unary(Math.tanh),
  Sigmoid: unary((v) => 1 / (1 + Math.exp(-v))),
  Floor: unary(Math.floor),
  Ceil: unary(Math.ceil),
  Add: binary((a, b) => a + b),
  Sub: binary((a, b) => a - b),
  Mul: binary((a, b) => a * b),
  Div: (c, ks) => [elementwise(c, ks, ks.every((k) => !isFloat(k)) ? (a, b) => Math.trunc(a / b) : (a, b) => a / b)],
  Pow: binary((a, b) => Math.pow(a, b)),
  Max: (c, ks) => [elementwise(c, ks, Math.max)],
  Min: (c, ks) => [elementwise(c, ks, Math.min)],
  Clip(c, [x, lo, hi]) {
    const a = lo?.data[0] ?? c.float('min', -Infinity), b = hi?.data[0] ?? c.float('max', Infinity);
    return unary((v) => Math.min(Math.max(v, a), b))(c, [x]);
  },
  ReduceMean: reduce('mean'),
  ReduceSum: reduce('sum'),
  ReduceMax: reduce('max'),
  ReduceMin: reduce('min'),
  Cast(c, [x]) {
    const to = c.int('to', 1);
    if (to === 1 || to === 11) return [{ ...x, dtype: 1, data: Float32Array.from(x.data) }];
    if (to === 7 || to === 6) return [{ ...x, dtype: to, data: Array.from(x.data, Math.trunc) }];
    if (to === 9) return [{ ...x, dtype: 9, data: Array.from(x.data, (v) => (v ? 1 : 0)) }];
    return c.unsupported(`Cast to ${dtypeName(to)} of a constant is not supported`);
  },
  Reshape: (c, [x, s]) => [{ ...x, dims: reshapeDims(c, x.dims, s.data) }],
  Flatten(c, [x]) {
    const r = x.dims.length;
    let axis = c.int('axis', 1);
    if (axis < 0) axis += r;
    return [{ ...x, dims: [size(x.dims.slice(0, axis)), size(x.dims.slice(axis))] }];
  },
  Squeeze: (c, [x, a]) => [{ ...x, dims: squeezeDims(c, x.dims, a) }],
  Unsqueeze: (c, [x, a]) => [{ ...x, dims: unsqueezeDims(c, x.dims, a) }],
  Transpose: (c, [x]) => [transpose(x, c.ints('perm', x.dims.map((_, i) => x.dims.length - 1 - i)))],
  Concat(c, ks) {
    const r = ks[0].dims.length;
    let axis = c.int('axis', 0);
    if (axis < 0) axis += r;
    const dims = [...ks[0].dims];
    dims[axis] = ks.reduce((p, k) => p + k.dims[axis], 0);
    const outer = size(dims.slice(0, axis));
    const float = ks.some(isFloat);
    const out: number[] = [];
    for (let o = 0; o < outer; o++)
      for (const k of ks) {
        const inner = size(k.dims.slice(axis));
        for (let i = 0; i < inner; i++) out.push(k.data[o * inner + i]);
      }
    return [{ name: '', dims, dtype: float ? 1 : ks[0].dtype, data: float ? Float32Array.from(out) : out }];
  },
  Gather(c, [x, idx]) {
    const r = x.dims.length;
    let axis = c.int('axis', 0);
    if (axis < 0) axis += r;
    const outer = size(x.dims.slice(0, axis)), inner = size(x.dims.slice(axis + 1)), n = x.dims[axis];
    const out: number[] = [];
    for (let o = 0; o < outer; o++)
      for (const j of Array.from(idx.data)) {
        const jj = j < 0 ? j + n : j;
        for (let i = 0; i < inner; i++) out.push(x.data[(o * n + jj) * inner + i]);
      }
    const dims = [...x.dims.slice(0, axis), ...idx.dims, ...x.dims.slice(axis + 1)];
    return [{ ...x, dims, data: isFloat(x) ? Float32Array.from(out) : out }];
  },
  Expand(c, [x, s]) {
    const shape: Const = { name: '', dims: Array.from(s.data, Number), dtype: 1, data: new Float32Array(0) };
    const { dims, at } = broadcast(c, [x, { ...shape, dims: shape.dims }]);
    const n = size(dims);
    const data: Data = isFloat(x) ? new Float32Array(n) : new Array<number>(n);
    for (let i = 0; i < n; i++) data[i] = x.data[at[0](i)];
    return [{ ...x, dims, data }];
  },
  ConstantOfShape(c, [s]) {
    const v = c.tensorAttr('value');
    const dims = Array.from(s.data);
    const fill = v ? v.data[0] : 0;
    const float = !v || v.data instanceof Float32Array;
    return [{ name: '', dims, dtype: v?.dtype ?? 1, data: float ? new Float32Array(size(dims)).fill(fill) : new Array(size(dims)).fill(fill) }];
  },
};

// Constants are initializers, Constant nodes, earlier folded nodes, or the Shape of an
// activation; ONNX's semantics are NCHW with numpy broadcasting. This is how the weight-binarization subgraphs that papers' PyTorch code exports
// (`torch.sign(W) * W.abs().mean((1,2,3), keepdim=True)`, which torch.onnx.export leaves as
// Sign/Abs/ReduceMean/Mul nodes on the initializer) become the ±α weights that the binary-conv
// recognizer (ops.ts: binaryRows) reads.
//
// Floats are computed in float64 and stored as f32, once per node, as onnxruntime does per
// node in f32 (the results can differ in the last bit; binaryRows allows 1e-5 relative).
//
// simplifyGraph also removes the straight-through-estimator identity of training code,
// `a.detach() - b.detach() + b` (Add(Sub(a, b), b) → a), and nodes no output depends on.
/** The node's outputs when all its inputs are constants and the op is evaluable, else null. */
export function foldNode(c: NodeCtx, ins: (Const | undefined)[]): Const[] | null {
  const ev = Object.prototype.hasOwnProperty.call(CONST_EVAL, c.node.op_type) ? CONST_EVAL[c.node.op_type] : undefined;
  if (!ev || ins.length === 0 || ins.some((k, i) => !k && c.has(i))) return null;
  return ev(c, ins as Const[]);
}

/**
 * Add(Sub(a, b), b) and Add(b, Sub(a, b)) → a (the straight-through estimator of training
 * code: exact in real arithmetic, equal to a within an f32 rounding), then drops nodes that
 * no graph output depends on. Returns the nodes to convert and the value renames.
 */
export function simplifyGraph(g: GraphProto): { nodes: NodeProto[]; alias: Map<string, string> } {
  const producer = new Map<string, NodeProto>();
  for (const n of g.node) for (const o of n.output) producer.set(o, n);
  const alias = new Map<string, string>();
  const resolve = (v: string): string => (alias.has(v) ? resolve(alias.get(v)!) : v);
  for (const n of g.node) {
    if (n.op_type !== 'Add' || n.input.length !== 2) continue;
    for (const [s, b] of [[n.input[0], n.input[1]], [n.input[1], n.input[0]]]) {
      const sub = producer.get(s);
      if (sub?.op_type === 'Sub' && sub.input[1] === b) {
        alias.set(n.output[0], resolve(sub.input[0]));
        break;
      }
    }
  }
  if (!alias.size) return { nodes: g.node, alias };
  const live = new Set(g.output.map((o) => resolve(o.name)));
  const keep = new Set<NodeProto>();
  for (let i = g.node.length - 1; i >= 0; i--) {
    const n = g.node[i];
    if (alias.has(n.output[0]) || !n.output.some((o) => live.has(o))) continue;
    keep.add(n);
    n.input.forEach((v) => v && live.add(resolve(v)));
  }
  return { nodes: g.node.filter((n) => keep.has(n)), alias };
}
