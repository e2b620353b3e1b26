// ONNX → .xnn graph, for the exports of training/xnor_torch (`export_onnx`; the binary
// patterns it produces are in training/ONNX_PATTERNS.md, their mapping in onnx/ops.ts).
//   - ONNX is NCHW, .xnn NHWC: conv weights OIHW → OHWI, the model input is declared
//     [1,H,W,C], and a Flatten/Reshape of C×H×W with H·W > 1 permutes later per-feature
//     constants and Gemm/MatMul columns from (c,h,w) to (h,w,c) (onnx/graph.ts).
//   - BatchNormalization becomes a BatchNorm affine (scale = γ/sqrt(var+ε), shift =
//     β − mean·scale, in float64) and Relu a Relu; fold.ts then folds them into the layer
//     before them exactly as for BMXNet.
// Errors: UnsupportedOpError names the node and op; malformed protobuf, missing
// initializers and inconsistent shapes are ConvertError. No file system access here.

import { ConvertError, UnsupportedOpError } from '../errors.js';
import type { XnnGraph, XnnModel } from '../format/xnn.js';
import type { AccuracyRecord, InputSpec, ModelInfo, Preprocess } from '../types.js';
import { finishGraph } from './builder.js';
import { Builder, type Sym } from './onnx/graph.js';
import { NodeCtx } from './onnx/node.js';
import { HANDLERS } from './onnx/ops.js';
import { DT, decodeModel, tensorValues, toNumber, type ModelProto, type ValueInfoProto } from './onnx/proto.js';

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
  /** 1 (grey) or 3 (RGB); required when the ONNX channel count is symbolic, else must match. */
  channels?: 1 | 3;
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

/** Converts an ONNX model; the result is validated. */
export function convertOnnx(bytes: Uint8Array, opts: OnnxOptions = {}): XnnModel {
  const m = decodeModel(bytes);
  const g = m.graph!;
  const opset = m.opset_import.filter((o) => o.domain === '' || o.domain === 'ai.onnx').map((o) => toNumber(o.version))[0];
  if (opset === undefined) throw new ConvertError('the model imports no version of the default ONNX operator set');
  const b = new Builder();
  const syms = new Map<string, Sym>();

  for (const t of g.initializer) syms.set(t.name, { k: 'const', c: tensorValues(t, `initializer "${t.name}"`) });
  const inputs = g.input.filter((i) => !syms.has(i.name));
  if (inputs.length !== 1) throw new UnsupportedOpError(`graph: ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); exactly one image input is supported`);
  const shape = inputShape(inputs[0], opts);
  const data = b.input(inputs[0].name, { dtype: 'f32', shape });
  syms.set(inputs[0].name, { k: 'val', v: data });

  const uses = new Map<string, number>();
  const use = (v: string) => v && uses.set(v, (uses.get(v) ?? 0) + 1);
  g.node.forEach((n) => n.input.forEach(use));
  g.output.forEach((o) => use(o.name));

  for (const node of g.node) {
    const ctx = new NodeCtx(node, b, syms, opset, uses);
    if (node.domain && node.domain !== 'ai.onnx') ctx.unsupported(`operator domain "${node.domain}" is not supported`);
    const handler = Object.prototype.hasOwnProperty.call(HANDLERS, node.op_type) ? HANDLERS[node.op_type] : undefined;
    if (!handler) throw new UnsupportedOpError(`${ctx.where}: op ${node.op_type} is not supported`);
    if (node.output.length < 1 || !node.output[0]) ctx.fail('has no output');
    syms.set(node.output[0], handler(ctx));
  }

  let last = '';
  const outputs = g.output.map((o) => {
    const s = syms.get(o.name);
    if (!s) throw new ConvertError(`graph output "${o.name}" is not produced by any node`);
    if (s.k !== 'val' || s.v === data) throw new UnsupportedOpError(`graph output "${o.name}" is not an activation this importer can express`);
    if (s.v.nchw) throw new UnsupportedOpError(`graph output "${o.name}" holds features in NCHW order (a flattened C×H×W tensor)`);
    if (s.v.type.dtype !== 'f32') throw new UnsupportedOpError(`graph output "${o.name}" is a ±1 tensor`);
    last ||= s.v.name;
    return s.v.name;
  });
  if (outputs.length === 0) throw new ConvertError('the graph has no outputs');
  const lastOp = b.nodes.find((n) => n.outputs[0] === last)?.op;

  let graph: XnnGraph = {
    metadata: metadata(m, shape, opts, opset, lastOp === 'Softmax'),
    inputs: [{ name: data.name, dtype: 'f32', shape: [...shape] }],
    outputs,
    nodes: b.nodes,
    tensors: b.tensors,
  };
  return finishGraph(graph, opts.fold ?? true);
}

/** [1, H, W, C] from the ONNX input [N, C, H, W] and the options. */
function inputShape(vi: ValueInfoProto, opts: OnnxOptions): number[] {
  const t = vi.type?.tensor_type;
  const where = `graph input "${vi.name}"`;
  if (!t) throw new ConvertError(`${where}: no tensor type`);
  if (t.elem_type !== DT.FLOAT) throw new UnsupportedOpError(`${where}: element type ${t.elem_type} is not supported (float32 only)`);
  const dims = (t.shape?.dim ?? []).map((d) => (d.dim_value != null && toNumber(d.dim_value) > 0 ? toNumber(d.dim_value) : null));
  if (dims.length !== 4) throw new UnsupportedOpError(`${where}: an NCHW image input (rank 4) is needed, got rank ${dims.length}`);
  const [n, c, h, w] = dims;
  if (n !== null && n !== 1) throw new UnsupportedOpError(`${where}: batch size ${n} is fixed; use a symbolic or 1`);
  const pick = (fromModel: number | null, fromOpt: number | undefined, what: string, flag: string): number => {
    if (fromModel !== null && fromOpt !== undefined && fromModel !== fromOpt)
      throw new ConvertError(`${where}: ${flag} ${fromOpt} does not match the model's ${what} ${fromModel}`);
    const v = fromModel ?? fromOpt;
    if (v === undefined) throw new ConvertError(`${where}: the ${what} is symbolic; give it with ${flag}`);
    return v;
  };
  const ch = pick(c, opts.channels, 'channel count', '--channels');
  if (ch !== 1 && ch !== 3) throw new UnsupportedOpError(`${where}: ${ch} channels; only 1 (grey) or 3 (RGB) are supported`);
  return [1, pick(h, opts.inputSize?.[0], 'height', '--input-size'), pick(w, opts.inputSize?.[1], 'width', '--input-size'), ch];
}

/** The input range xnor_torch's exporter records (`xnor_torch.value_range` = "0,255" for its
 * exact-parity form); an option given to the converter wins. */
function declaredRange(m: ModelProto): [number, number] | null {
  const v = m.metadata_props.find((e) => e.key === 'xnor_torch.value_range')?.value;
  const r = v?.split(',').map(Number);
  return r?.length === 2 && r.every(Number.isFinite) && r[0] < r[1] ? [r[0], r[1]] : null;
}

function metadata(m: ModelProto, shape: number[], opts: OnnxOptions, opset: number, softmax: boolean): ModelInfo {
  const ch = shape[3];
  const valueRange = opts.valueRange ?? declaredRange(m) ?? [0, 1];
  const input: InputSpec = { shape: [...shape], layout: 'NHWC', colorOrder: ch === 3 ? 'RGB' : 'GRAY', valueRange };
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

