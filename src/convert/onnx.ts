// ONNX → .xnn graph, for training/xnor_torch exports (patterns: training/ONNX_PATTERNS.md,
// mapped in onnx/ops.ts) and plain-PyTorch BNNs (training/README.md); no file system access.

import { ConvertError, UnsupportedOpError } from '../errors.js';
import type { XnnGraph, XnnModel } from '../format/xnn.js';
import type { AccuracyRecord, InputSpec, ModelInfo, Preprocess } from '../types.js';
import { finishGraph } from './builder.js';
import { markIntegerStems } from './integer-stem.js';
import { Builder, type Sym } from './onnx/graph.js';
import { NodeCtx } from './onnx/node.js';
import { foldNode, simplifyGraph } from './onnx/fold-const.js';
import { inOnnxOrder } from './onnx/layout.js';
import { HANDLERS } from './onnx/ops.js';
import { DT, decodeModel, dtypeName, tensorValues, toNumber, type Const, type ModelProto, type ValueInfoProto } from './onnx/proto.js';
import { INPUT_INT_TYPES, exactF32, floorInt, intRule, isIntType, outputType, wrapInt } from './onnx/elem-types.js';
import { constToStorage } from './onnx/layout.js';

export const ONNX_CONVERTER_VERSION = 'xnor-web onnx 0.1.0';

export interface OnnxOptions {
  /** Class names in output order. */
  labels?: string[];
  name?: string;
  description?: string;
  accuracy?: AccuracyRecord[];
  /** File names recorded in provenance.files. */
  sourceFiles?: string[];
  /** [H, W] of the input; required when the ONNX input's H/W are symbolic, else must match. */
  inputSize?: [number, number];
  /** The channel count; required when the ONNX channel count is symbolic, else must match.
   * 1 and 3 make an image input (GRAY, RGB), any other count a plain tensor input. */
  channels?: number;
  /** The batch size when the ONNX input's is symbolic (default 1); the graph runs the whole batch. */
  batch?: number;
  /** The range raw pixels are scaled to before the graph (default [0, 1], as export_onnx). */
  valueRange?: [number, number];
  /** Preprocessing recorded in the metadata (defaults: none, mean 0, std 1 — the xnor_torch
   * nets normalise inside the graph). */
  preprocess?: Partial<Preprocess>;
  /** Fold BatchNorm and Relu into the preceding layer (default true). */
  fold?: boolean;
}

/** Ops this importer maps (the binary patterns are combinations of some of them). */
export const ONNX_OPS = Object.keys(HANDLERS).sort();

/**
 * Converts an ONNX model; the result is validated.
 * - ONNX is NCHW, .xnn NHWC: conv weights OIHW → OHWI, the model input is declared
 *   [1,H,W,C], and a Flatten/Reshape of C×H×W with H·W > 1 permutes later per-feature
 *   constants and Gemm/MatMul columns from (c,h,w) to (h,w,c) (onnx/graph.ts).
 * - BatchNormalization becomes a BatchNorm affine (scale = γ/sqrt(var+ε), shift =
 *   β − mean·scale, in float64) and Relu a Relu; fold.ts then folds them into the layer
 *   before them exactly as for BMXNet.
 * - Values of other ranks keep ONNX's order (onnx/layout.ts); the input may have any rank,
 *   channel count and a fixed batch (`batch` for a symbolic one).
 * - Before conversion: simplifyGraph drops the straight-through identity a − b + b; during
 *   it, every node whose inputs are all constants is evaluated (onnx/fold-const.ts).
 * Errors: UnsupportedOpError names the node and op; malformed protobuf, missing
 * initializers and inconsistent shapes are ConvertError.
 */
export function convertOnnx(bytes: Uint8Array, opts: OnnxOptions = {}): XnnModel {
  const m = decodeModel(bytes);
  const g = m.graph!;
  const opset = m.opset_import.filter((o) => o.domain === '' || o.domain === 'ai.onnx').map((o) => toNumber(o.version))[0];
  if (opset === undefined) throw new ConvertError('the model imports no version of the default ONNX operator set');
  const b = new Builder();
  const syms = new Map<string, Sym>();

  // The ONNX element type of each value (elem-types.ts: integers and bools are carried exactly in f32).
  const types = new Map<string, number>();
  for (const t of g.initializer) {
    syms.set(t.name, { k: 'const', c: tensorValues(t, `initializer "${t.name}"`) });
    types.set(t.name, t.data_type);
  }
  const inputs = g.input.filter((i) => !syms.has(i.name));
  if (inputs.length !== 1) throw new UnsupportedOpError(`graph: ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); exactly one input is supported (the others must be initializers)`);
  const shape = inputShape(inputs[0], opts);
  const data = b.input(inputs[0].name, { dtype: 'f32', shape });
  syms.set(inputs[0].name, { k: 'val', v: data });
  const elemType = inputs[0].type!.tensor_type!.elem_type;
  types.set(inputs[0].name, elemType);

  const { nodes, alias } = simplifyGraph(g);
  const resolve = (v: string): string => (alias.has(v) ? resolve(alias.get(v)!) : v);
  const uses = new Map<string, number>();
  const use = (v: string) => v && uses.set(resolve(v), (uses.get(resolve(v)) ?? 0) + 1);
  nodes.forEach((n) => n.input.forEach(use));
  g.output.forEach((o) => use(o.name));
  for (const [from] of alias) uses.set(from, uses.get(resolve(from)) ?? 0);

  for (const node of nodes) {
    const ctx = new NodeCtx(node, b, syms, opset, uses, new Map([...alias].map(([k]) => [k, resolve(k)])));
    if (node.domain && node.domain !== 'ai.onnx') ctx.unsupported(`operator domain "${node.domain}" is not supported`);
    if (node.output.length < 1 || !node.output[0]) ctx.fail('has no output');
    // Constant folding: every input a constant (fold-const.ts).
    const ins = node.input.map((_, i) => (ctx.has(i) ? ctx.sym(i) : undefined));
    if (ins.length && ins.every((s) => !s || s.k === 'const')) {
      const folded = foldNode(ctx, ins.map((s) => (s?.k === 'const' ? s.c : undefined)));
      if (folded) {
        folded.forEach((k, i) => node.output[i] && syms.set(node.output[i], { k: 'const', c: { ...k, name: node.output[i] } }));
        continue;
      }
    }
    const typeOf = (i: number) => types.get(resolve(node.input[i])) ?? DT.FLOAT;
    const outType = outputType(ctx, typeOf);
    const intType = [outType, ...node.input.map((_, i) => (ins[i]?.k === 'const' ? DT.FLOAT : typeOf(i)))].find(isIntType);
    const rule = intType === undefined ? 'exact' : intRule(ctx, intType);
    let out = NodeCtx.handle!(ctx); // ops.ts
    if (rule !== 'exact') {
      const v = out.k === 'val' ? out.v : (syms.set(node.output[0], out), valueOf(ctx, b, syms, opset, uses, node.output[0]));
      out = { k: 'val', v: rule === 'wrap' ? wrapInt(ctx, v, intType!) : floorInt(ctx, v) };
    }
    syms.set(node.output[0], out);
    node.output.forEach((o) => o && types.set(o, outType));
  }

  let last = '';
  const outputs = g.output.map((o) => {
    let s = syms.get(resolve(o.name));
    const ctx = new NodeCtx({ name: `output ${o.name}`, op_type: 'Identity', input: [resolve(o.name)], output: [o.name], attribute: [], domain: '' } as never, b, syms, opset, uses);
    // A lazy symbol (sign, abs, pad) read as a graph output: its float value.
    if (s && s.k !== 'val' && s.k !== 'const') s = { k: 'val', v: ctx.val(0) };
    if (!s) throw new ConvertError(`graph output "${o.name}" is not produced by any node`);
    // An output the graph computes without reading the input (a Shape, a Dropout mask): a
    // stored tensor the runtime copies out.
    if (s.k === 'const') s = { k: 'val', v: constantOutput(ctx, s.c) };
    // The input itself (Identity, Dropout): a copy. A flattened C×H×W: reordered to ONNX's (c,h,w).
    if (s.v === data || s.v.name === data.name) s = { k: 'val', v: b.node(ctx.where, 'Reshape', `${o.name}_copy`, [data.name], { shape: [...shape] }).val };
    if (s.v.nchw) s = { k: 'val', v: inOnnxOrder(ctx, s.v) };
    if (s.v.type.dtype !== 'f32') throw new UnsupportedOpError(`graph output "${o.name}" is a ±1 tensor`);
    last ||= s.v.name;
    return s.v.name;
  });
  if (outputs.length === 0) throw new ConvertError('the graph has no outputs');
  const lastOp = b.nodes.find((n) => n.outputs[0] === last)?.op;

  const graph: XnnGraph = {
    metadata: metadata(m, shape, opts, opset, lastOp === 'Softmax', elemType),
    inputs: [{ name: data.name, dtype: 'f32', shape: [...shape] }],
    outputs,
    nodes: b.nodes,
    tensors: b.tensors,
  };
  const model = finishGraph(graph, opts.fold ?? true);
  // Stems on a power-of-two weight grid run as exact integer dot products on integer inputs
  // (issue 13; the runtime checks the input and otherwise runs the float conv: same result).
  markIntegerStems(model);
  return model;
}

/** The float value of ONNX value `name` (a lazy symbol made concrete). */
function valueOf(ctx: NodeCtx, b: Builder, syms: Map<string, Sym>, opset: number, uses: Map<string, number>, name: string) {
  return new NodeCtx({ name: ctx.name, op_type: ctx.node.op_type, input: [name], output: [name], attribute: [], domain: '' } as never, b, syms, opset, uses).val(0);
}

/** A constant as a graph output: a Reshape of a stored tensor (storage order, as f32). */
function constantOutput(ctx: NodeCtx, k: Const) {
  if (k.data.length === 0) ctx.unsupported(`graph output "${k.name}" is an empty tensor ([${k.dims.join(',')}])`);
  const dims = k.dims.length ? k.dims : [1];
  const st = constToStorage(ctx, { ...k, dims, data: exactF32(ctx, k, 0) }, dims.length);
  const t = ctx.b.f32(`${k.name}_value`, st.dims, st.data);
  return ctx.b.node(ctx.where, 'Reshape', k.name, [t], { shape: st.dims }).val;
}

/**
 * The storage shape of the graph input: [N, H, W, C] from an ONNX [N, C, H, W] (a rank-4
 * input is an image batch), any other rank as it is (ONNX order). A symbolic batch (the first
 * dimension) is `opts.batch` or 1; a symbolic C, H, W of a rank-4 input comes from the options.
 */
function inputShape(vi: ValueInfoProto, opts: OnnxOptions): number[] {
  const t = vi.type?.tensor_type;
  const where = `graph input "${vi.name}"`;
  if (!t) throw new ConvertError(`${where}: no tensor type`);
  if (t.elem_type !== DT.FLOAT && !INPUT_INT_TYPES[t.elem_type])
    throw new UnsupportedOpError(`${where}: element type ${dtypeName(t.elem_type)} is not supported (FLOAT, BOOL and integers of 16 bits or less, which f32 holds exactly)`);
  const dims = (t.shape?.dim ?? []).map((d) => (d.dim_value != null && toNumber(d.dim_value) > 0 ? toNumber(d.dim_value) : null));
  if (dims.length < 1) throw new UnsupportedOpError(`${where}: a scalar input is not supported (rank >= 1)`);
  if (t.shape?.dim.some((d) => !d.dim_param && d.dim_value != null && toNumber(d.dim_value) === 0)) throw new UnsupportedOpError(`${where}: a dimension of size 0 (an empty tensor) is not supported`);
  const batch = (n: number | null) => {
    if (n !== null && opts.batch !== undefined && n !== opts.batch) throw new ConvertError(`${where}: --batch ${opts.batch} does not match the model's batch size ${n}`);
    return n ?? opts.batch ?? 1;
  };
  if (dims.length !== 4) {
    const shape = dims.map((d, i) => (i === 0 ? batch(d) : d));
    const sym = shape.findIndex((d) => d === null);
    if (sym >= 0) throw new ConvertError(`${where}: dimension ${sym} is symbolic; only the batch (dimension 0) may be`);
    return shape as number[];
  }
  const [n, c, h, w] = dims;
  const pick = (fromModel: number | null, fromOpt: number | undefined, what: string, flag: string): number => {
    if (fromModel !== null && fromOpt !== undefined && fromModel !== fromOpt)
      throw new ConvertError(`${where}: ${flag} ${fromOpt} does not match the model's ${what} ${fromModel}`);
    const v = fromModel ?? fromOpt;
    if (v === undefined) throw new ConvertError(`${where}: the ${what} is symbolic; give it with ${flag}`);
    return v;
  };
  const ch = pick(c, opts.channels, 'channel count', '--channels');
  return [batch(n), pick(h, opts.inputSize?.[0], 'height', '--input-size'), pick(w, opts.inputSize?.[1], 'width', '--input-size'), ch];
}

/** The input range xnor_torch's exporter records (`xnor_torch.value_range` = "0,255" for its
 * exact-parity form); an option given to the converter wins. */
function declaredRange(m: ModelProto): [number, number] | null {
  const v = m.metadata_props.find((e) => e.key === 'xnor_torch.value_range')?.value;
  const r = v?.split(',').map(Number);
  return r?.length === 2 && r.every(Number.isFinite) && r[0] < r[1] ? [r[0], r[1]] : null;
}

function metadata(m: ModelProto, shape: number[], opts: OnnxOptions, opset: number, softmax: boolean, elemType: number): ModelInfo {
  // An image: [1, H, W, 1 or 3]; anything else is a plain tensor input (colorOrder NONE).
  const image = shape.length === 4 && shape[0] === 1 && (shape[3] === 1 || shape[3] === 3);
  const ch = shape[shape.length - 1];
  const valueRange = opts.valueRange ?? declaredRange(m) ?? [0, 1];
  const input: InputSpec = {
    shape: [...shape],
    layout: shape.length === 4 ? 'NHWC' : 'ND',
    colorOrder: image ? (ch === 3 ? 'RGB' : 'GRAY') : 'NONE',
    valueRange,
    // ONNX takes a rank-4 input as NCHW: run() accepts that layout too (src/runtime/layout.ts).
    ...(shape.length === 4 ? { sourceLayout: 'NCHW' as const } : {}),
    ...(INPUT_INT_TYPES[elemType] ? { elementType: INPUT_INT_TYPES[elemType].name } : {}),
  };
  const p = opts.preprocess ?? {};
  const preprocess: Preprocess = {
    resizeShortSide: p.resizeShortSide ?? null,
    centerCrop: p.centerCrop ?? null,
    mean: p.mean ?? new Array(ch).fill(0),
    std: p.std ?? new Array(ch).fill(1),
  };
  const producer = [m.producer_name, m.producer_version].filter(Boolean).join(' ') || 'unknown';
  const provenance: Record<string, string> = {
    source: `ONNX (producer ${producer}, opset ${opset}, ir_version ${toNumber(m.ir_version)})`,
    onnxProducer: producer,
    onnxOpset: String(opset),
    converter: ONNX_CONVERTER_VERSION,
  };
  if (opts.sourceFiles?.length) provenance.files = opts.sourceFiles.join(', ');
  for (const { key, value } of m.metadata_props) if (key && key.length <= 100) provenance[`onnx:${key}`] = value;
  const graphName = m.graph?.name;
  return {
    name: opts.name ?? (graphName || 'onnx-model'),
    ...(opts.description !== undefined ? { description: opts.description } : m.doc_string ? { description: m.doc_string } : {}),
    input,
    preprocess,
    labels: opts.labels ?? [],
    output: { kind: softmax ? 'probabilities' : 'logits' },
    accuracy: opts.accuracy ?? [],
    provenance,
  };
}

