// Every rule of docs/FORMAT.md ("Validation") on a `.xnn` header and graph, in that order: a
// ModelFormatError saying what and where, before anything is allocated in proportion to a claimed size.

import { ModelFormatError } from '../errors.js';
import { packedBytes, paddingBitsClear } from '../ops/bits.js';
import { OPS, ShapeError, isOpName, resolveAttrs, type OpDecl, type ResolvedAttrs, type TensorType } from '../ops/spec.js';
import type { ModelInfo } from '../types.js';
import {
  BLOB_ALIGN,
  LIMITS,
  type XnnGraph,
  type XnnHeader,
  type XnnInput,
  type XnnModel,
  type XnnNode,
  type XnnTensor,
} from './xnn.js';

const bad = (msg: string): never => {
  throw new ModelFormatError(msg);
};
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isUint = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isStr = (x: unknown): x is string => typeof x === 'string';

function obj(x: unknown, where: string): Record<string, unknown> {
  return isObj(x) ? x : bad(`${where} must be an object`);
}
function arr(x: unknown, where: string): unknown[] {
  return Array.isArray(x) ? x : bad(`${where} must be an array`);
}
function str(x: unknown, where: string): string {
  return isStr(x) ? x : bad(`${where} must be a string`);
}
function name(x: unknown, where: string): string {
  return isStr(x) && x.length > 0 && x.length <= 256 ? x : bad(`${where} must be a non-empty string of at most 256 characters`);
}
function uint(x: unknown, where: string): number {
  return isUint(x) ? x : bad(`${where} must be a non-negative integer`);
}
function num(x: unknown, where: string): number {
  return isNum(x) ? x : bad(`${where} must be a finite number`);
}
function nums(x: unknown, where: string): number[] {
  return arr(x, where).map((v, i) => num(v, `${where}[${i}]`));
}

export const elementCount = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

/** Bytes a value of this type occupies (f32: 4 per element; b1: packed rows of u64 words). */
export const byteSize = (t: TensorType) => (t.dtype === 'f32' ? 4 * elementCount(t.shape) : packedBytes(t.shape));

/**
 * A shape: rank 1..8, dimensions positive safe integers, at most LIMITS.elementsPerTensor
 * elements (checked as the product grows, so it never overflows).
 */
export function checkShape(x: unknown, where: string): number[] {
  const s = arr(x, where);
  if (s.length < 1 || s.length > LIMITS.rank) bad(`${where} must have rank 1..${LIMITS.rank}, got ${s.length}`);
  let n = 1;
  for (let i = 0; i < s.length; i++) {
    const d = s[i];
    if (!isUint(d) || d < 1) bad(`${where}[${i}] must be a positive integer, got ${JSON.stringify(d)}`);
    n *= d as number;
    if (n > LIMITS.elementsPerTensor) bad(`${where} [${s.join(',')}] has more than ${LIMITS.elementsPerTensor} elements`);
  }
  return s as number[];
}

function checkDType(x: unknown, where: string): 'f32' | 'b1' {
  return x === 'f32' || x === 'b1' ? x : bad(`${where} must be "f32" or "b1", got ${JSON.stringify(x)}`);
}

/** The metadata block (ModelInfo), field by field. */
export function checkMetadata(x: unknown): ModelInfo {
  const m = obj(x, 'metadata');
  name(m.name, 'metadata.name');
  if (m.description !== undefined) str(m.description, 'metadata.description');

  const input = obj(m.input, 'metadata.input');
  const shape = checkShape(input.shape, 'metadata.input.shape');
  if (input.colorOrder === 'NONE') {
    // Not an image (ONNX imports of feature vectors, sequences, batches, any channel count).
    if (input.layout !== (shape.length === 4 ? 'NHWC' : 'ND')) bad(`metadata.input.layout must be "${shape.length === 4 ? 'NHWC' : 'ND'}" for rank ${shape.length}`);
  } else {
    if (shape.length !== 4 || shape[0] !== 1) bad(`metadata.input.shape must be [1,H,W,C], got [${shape.join(',')}]`);
    if (input.layout !== 'NHWC') bad('metadata.input.layout must be "NHWC"');
    if (input.colorOrder !== 'RGB' && input.colorOrder !== 'GRAY') bad('metadata.input.colorOrder must be "RGB", "GRAY" or "NONE"');
    const channels = input.colorOrder === 'RGB' ? 3 : 1;
    if (shape[3] !== channels) bad(`metadata.input.colorOrder ${input.colorOrder} needs ${channels} channels, shape has ${shape[3]}`);
  }
  if (input.sourceLayout !== undefined && !(input.sourceLayout === 'NCHW' && shape.length === 4)) bad('metadata.input.sourceLayout must be absent or "NCHW" (rank 4)');
  if (input.elementType !== undefined && !['bool', 'uint8', 'int8', 'uint16', 'int16'].includes(input.elementType as string))
    bad('metadata.input.elementType must be absent or one of bool|uint8|int8|uint16|int16');
  const range = nums(input.valueRange, 'metadata.input.valueRange');
  if (range.length !== 2 || !(range[0] < range[1])) bad('metadata.input.valueRange must be [lo, hi] with lo < hi');

  const pre = obj(m.preprocess, 'metadata.preprocess');
  if (pre.resizeShortSide !== null && !(isUint(pre.resizeShortSide) && pre.resizeShortSide >= 1 && pre.resizeShortSide <= 1 << 16))
    bad('metadata.preprocess.resizeShortSide must be null or a positive integer');
  if (pre.centerCrop !== null) {
    const crop = arr(pre.centerCrop, 'metadata.preprocess.centerCrop');
    if (crop.length !== 2 || crop[0] !== shape[1] || crop[1] !== shape[2])
      bad(`metadata.preprocess.centerCrop must be null or [${shape[1]},${shape[2]}] (the input's H,W)`);
  }
  const mean = nums(pre.mean, 'metadata.preprocess.mean');
  const std = nums(pre.std, 'metadata.preprocess.std');
  const perChannel = input.colorOrder === 'NONE' ? shape[shape.length - 1] : shape[3];
  if (mean.length !== perChannel || std.length !== perChannel)
    bad(`metadata.preprocess.mean and .std must have ${perChannel} entries (one per channel)`);
  if (std.some((s) => !(s > 0))) bad('metadata.preprocess.std entries must be > 0');

  arr(m.labels, 'metadata.labels').forEach((l, i) => str(l, `metadata.labels[${i}]`));
  const out = obj(m.output, 'metadata.output');
  if (out.kind !== 'logits' && out.kind !== 'probabilities') bad('metadata.output.kind must be "logits" or "probabilities"');
  arr(m.accuracy, 'metadata.accuracy').forEach((r, i) => {
    const w = `metadata.accuracy[${i}]`;
    const a = obj(r, w);
    str(a.dataset, `${w}.dataset`);
    uint(a.n, `${w}.n`);
    for (const k of ['top1', 'top5'] as const) {
      if (k === 'top5' && a[k] === undefined) continue;
      const v = num(a[k], `${w}.${k}`);
      if (v < 0 || v > 1) bad(`${w}.${k} must be in [0, 1]`);
    }
  });
  const prov = obj(m.provenance, 'metadata.provenance');
  for (const [k, v] of Object.entries(prov)) str(v, `metadata.provenance.${k}`);
  return m as unknown as ModelInfo;
}

function checkInputs(x: unknown): XnnInput[] {
  const ins = arr(x, 'inputs');
  if (ins.length !== 1) bad(`inputs must list exactly one graph input, got ${ins.length}`);
  return ins.map((v, i) => {
    const o = obj(v, `inputs[${i}]`);
    name(o.name, `inputs[${i}].name`);
    if (o.dtype !== 'f32') bad(`inputs[${i}].dtype must be "f32"`);
    checkShape(o.shape, `inputs[${i}].shape`);
    return o as unknown as XnnInput;
  });
}

function checkNodes(x: unknown): XnnNode[] {
  const nodes = arr(x, 'nodes');
  if (nodes.length > LIMITS.nodes) bad(`nodes: more than ${LIMITS.nodes} nodes`);
  return nodes.map((v, i) => {
    const o = obj(v, `nodes[${i}]`);
    const n = name(o.name, `nodes[${i}].name`);
    const w = `node "${n}"`;
    str(o.op, `${w}: op`);
    arr(o.inputs, `${w}: inputs`).forEach((s, j) => str(s, `${w}: inputs[${j}]`));
    arr(o.outputs, `${w}: outputs`).forEach((s, j) => str(s, `${w}: outputs[${j}]`));
    obj(o.attrs, `${w}: attrs`);
    return o as unknown as XnnNode;
  });
}

/**
 * Every field of the header. With `blobLength` (the bytes actually present), the tensor table
 * is checked against the blob too: exact lengths, 64-aligned offsets, in bounds, no overlaps.
 */
export function checkHeader(x: unknown, blobLength: number, blobStart = 0): XnnHeader {
  const h = obj(x, 'header');
  for (const k of Object.keys(h))
    if (!['metadata', 'inputs', 'outputs', 'tensors', 'nodes', 'blob'].includes(k)) bad(`header: unknown field "${k}"`);
  checkMetadata(h.metadata);
  checkInputs(h.inputs);
  arr(h.outputs, 'outputs').forEach((s, i) => str(s, `outputs[${i}]`));
  checkNodes(h.nodes);
  const blob = obj(h.blob, 'blob');
  uint(blob.length, 'blob.length');
  if (!isUint(blob.crc32) || blob.crc32 > 0xffffffff) bad('blob.crc32 must be a u32');
  if (blob.length !== blobLength)
    bad(`blob.length says ${blob.length} bytes, the file holds ${blobLength} bytes from the blob's start at byte ${blobStart} to its end`);

  const tensors = obj(h.tensors, 'tensors');
  const entries = Object.entries(tensors);
  if (entries.length > LIMITS.tensors) bad(`tensors: more than ${LIMITS.tensors} tensors`);
  const spans: [number, number, string][] = [];
  for (const [n, v] of entries) {
    const w = `tensor "${n}"`;
    name(n, `${w}: name`);
    const t = obj(v, w);
    const dtype = checkDType(t.dtype, `${w}: dtype`);
    const shape = checkShape(t.shape, `${w}: shape`);
    const offset = uint(t.offset, `${w}: offset`);
    const length = uint(t.length, `${w}: length`);
    const want = byteSize({ dtype, shape });
    if (length !== want) bad(`${w}: length is ${length} bytes, ${dtype}[${shape.join(',')}] needs ${want}`);
    if (offset % BLOB_ALIGN) bad(`${w}: offset ${offset} is not a multiple of ${BLOB_ALIGN}`);
    if (offset + length > blobLength) bad(`${w}: bytes ${offset}..${offset + length} lie past the blob's end (${blobLength})`);
    spans.push([offset, length, n]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    const [po, pl, pn] = spans[i - 1];
    if (spans[i][0] < po + pl) bad(`tensor "${spans[i][2]}": bytes at offset ${spans[i][0]} overlap tensor "${pn}" (${po}..${po + pl})`);
  }
  return h as unknown as XnnHeader;
}

/**
 * A tensor's contents: size matches its shape, b1 padding bits clear, f32 values finite
 * (`finiteChecked`: allFinite already held on these very values, so the scan is skipped).
 */
export function checkTensorData(n: string, t: XnnTensor, finiteChecked = false): void {
  const w = `tensor "${n}"`;
  checkDType(t.dtype, `${w}: dtype`);
  checkShape(t.shape, `${w}: shape`);
  if (t.dtype === 'f32') {
    if (!(t.data instanceof Float32Array) || t.data.length !== elementCount(t.shape))
      bad(`${w}: f32[${t.shape.join(',')}] needs a Float32Array of ${elementCount(t.shape)} values`);
    if (!finiteChecked && !allFinite(t.data))
      for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i])) bad(`${w}: element ${i} is not finite (${t.data[i]})`);
  } else {
    if (!(t.data instanceof Uint8Array) || t.data.length !== packedBytes(t.shape))
      bad(`${w}: b1[${t.shape.join(',')}] needs ${packedBytes(t.shape)} packed bytes`);
    if (t.shape[t.shape.length - 1] % 64 !== 0 && !paddingBitsClear(t.data, t.shape))
      bad(`${w}: padding bits past the last axis must be 0 (docs/KERNELS.md)`);
  }
}

/**
 * No NaN or ±Infinity in `x`. Every load checks every weight (2 MB of them in ResNet-18), so
 * this tests the exponent bits of the raw words with no branch per element: an all-ones
 * exponent (non-finite) + 1 carries into the sign bit. ~3x faster than Number.isFinite per
 * element from a cold start in V8.
 */
export function allFinite(x: Float32Array): boolean {
  const u = new Int32Array(x.buffer, x.byteOffset, x.length);
  let acc = 0;
  for (let i = 0; i < u.length; i++) acc |= (u[i] & 0x7f800000) + 0x00800000;
  return acc >= 0;
}

function typeName(t: TensorType) {
  return `${t.dtype}[${t.shape.join(',')}]`;
}

/**
 * The graph: unique names, resolvable inputs, known ops with matching signatures and
 * attributes, acyclic, shapes inferred node by node, bounded activation memory, outputs that
 * exist, and metadata consistent with the graph's input and output.
 */
export function validateGraph(
  g: Pick<XnnGraph, 'metadata' | 'inputs' | 'outputs' | 'nodes'>,
  tensorTypes: ReadonlyMap<string, TensorType>,
): { order: XnnNode[]; types: Map<string, TensorType> } {
  const types = new Map<string, TensorType>();
  for (const inp of g.inputs) types.set(inp.name, { dtype: inp.dtype, shape: [...inp.shape] });
  for (const [n, t] of tensorTypes) {
    if (types.has(n)) bad(`tensor "${n}": name clashes with the graph input`);
    types.set(n, t);
  }

  // Names and producers.
  const nodeNames = new Set<string>();
  const producer = new Map<string, number>();
  g.nodes.forEach((node, i) => {
    const w = `node "${node.name}" (${node.op})`;
    if (nodeNames.has(node.name)) bad(`${w}: node name used twice`);
    nodeNames.add(node.name);
    if (!isOpName(node.op)) bad(`node "${node.name}": unknown op "${node.op}"`);
    if (node.outputs.length !== 1) bad(`${w}: must have exactly one output, has ${node.outputs.length}`);
    const out = node.outputs[0];
    name(out, `${w}: output name`);
    if (producer.has(out)) bad(`${w}: value "${out}" is already produced by node "${g.nodes[producer.get(out)!].name}"`);
    if (types.has(out)) bad(`${w}: output "${out}" clashes with a tensor or graph input of that name`);
    producer.set(out, i);
  });

  // Input references and slot counts; dependency counts for Kahn's algorithm.
  const indegree = new Int32Array(g.nodes.length);
  const consumers: number[][] = g.nodes.map(() => []);
  g.nodes.forEach((node, i) => {
    const w = `node "${node.name}" (${node.op})`;
    const decl: OpDecl['inputs'] = OPS[node.op].inputs;
    const required = decl.filter((d) => !d.optional).length;
    if (node.inputs.length < required || node.inputs.length > decl.length)
      bad(`${w}: takes ${required === decl.length ? required : `${required}..${decl.length}`} inputs, got ${node.inputs.length}`);
    const deps = new Set<number>();
    node.inputs.forEach((v, j) => {
      if (v === '') {
        if (!decl[j].optional) bad(`${w}: input ${j} (${decl[j].name}) is required`);
        return;
      }
      const p = producer.get(v);
      if (p !== undefined) deps.add(p);
      else if (!types.has(v)) bad(`${w}: input ${j} (${decl[j].name}) refers to "${v}", which is neither a value nor a tensor`);
    });
    indegree[i] = deps.size;
    for (const p of deps) consumers[p].push(i);
  });

  const queue: number[] = [];
  indegree.forEach((d, i) => d === 0 && queue.push(i));
  const order: XnnNode[] = [];
  for (let q = 0; q < queue.length; q++) {
    const i = queue[q];
    order.push(g.nodes[i]);
    for (const c of consumers[i]) if (--indegree[c] === 0) queue.push(c);
  }
  if (order.length < g.nodes.length) {
    // Walk backwards along unfinished inputs; after n steps the walk is inside a cycle.
    let i = indegree.findIndex((d) => d > 0);
    for (let step = 0; step < g.nodes.length; step++) {
      const next = g.nodes[i].inputs.map((v) => producer.get(v)).find((p) => p !== undefined && indegree[p] > 0);
      i = next!;
    }
    bad(`node "${g.nodes[i].name}" (${g.nodes[i].op}): the graph has a cycle through this node`);
  }

  // Types, node by node.
  let activationBytes = 0;
  for (const node of order) {
    const w = `node "${node.name}" (${node.op})`;
    const decl: OpDecl = OPS[node.op];
    const ins = decl.inputs.map((d, j) => {
      const v = node.inputs[j];
      if (v === undefined || v === '') return undefined;
      const t = types.get(v)!;
      if (d.dtype !== 'any' && t.dtype !== d.dtype) bad(`${w}: input ${j} (${d.name}) "${v}" must be ${d.dtype}, got ${typeName(t)}`);
      return t;
    });
    let out: TensorType;
    let attrs: ResolvedAttrs;
    try {
      attrs = resolveAttrs(node.op, node.attrs);
      out = decl.infer(ins, attrs);
    } catch (e) {
      if (e instanceof ShapeError) bad(`${w}: ${e.message}`);
      throw e;
    }
    checkShape(out.shape, `${w}: inferred output shape`);
    activationBytes += byteSize(out);
    if (activationBytes > LIMITS.activationBytes)
      bad(`${w}: the graph's activations exceed ${LIMITS.activationBytes} bytes (output ${typeName(out)})`);
    // Huge pads with a matching stride keep the output small; the padded copy is not.
    const work = decl.workBytes?.(ins, attrs) ?? 0;
    if (work > LIMITS.activationBytes)
      bad(`${w}: needs ${work} bytes of working memory (its input with the padding written out), more than the limit of ${LIMITS.activationBytes}`);
    types.set(node.outputs[0], out);
  }

  if (g.outputs.length < 1) bad('outputs must name at least one value');
  if (new Set(g.outputs).size !== g.outputs.length) bad('outputs: a value is listed twice');
  for (const o of g.outputs) if (!producer.has(o)) bad(`outputs: "${o}" is not produced by any node`);

  const m = g.metadata;
  const inShape = g.inputs[0].shape;
  if (m.input.shape.join() !== inShape.join())
    bad(`metadata.input.shape [${m.input.shape.join(',')}] differs from graph input "${g.inputs[0].name}" [${inShape.join(',')}]`);
  const o0 = types.get(g.outputs[0])!;
  const classes = o0.shape[o0.shape.length - 1];
  if (m.labels.length !== 0 && m.labels.length !== classes)
    bad(`metadata.labels has ${m.labels.length} entries, output "${g.outputs[0]}" has ${classes} classes`);
  return { order, types };
}

/** Attaches the validated graph's order, types and tensor accessors. */
export function makeModel(g: XnnGraph, order: XnnNode[], types: Map<string, TensorType>): XnnModel {
  const get = (n: string, dtype: 'f32' | 'b1') => {
    const t = g.tensors.get(n);
    if (!t || t.dtype !== dtype) bad(`tensor "${n}": no ${dtype} tensor of that name`);
    return t!.data;
  };
  return {
    ...g,
    order,
    types,
    f32: (n) => get(n, 'f32') as Float32Array,
    b1: (n) => get(n, 'b1') as Uint8Array,
  };
}

/** Validates an in-memory graph (a converter's output) the way readXnn validates a file. */
export function validateModel(g: XnnGraph): XnnModel {
  checkMetadata(g.metadata);
  checkInputs(g.inputs);
  checkNodes(g.nodes);
  g.outputs.forEach((s, i) => str(s, `outputs[${i}]`));
  const tensorTypes = new Map<string, TensorType>();
  for (const [n, t] of g.tensors) {
    name(n, `tensor "${n}": name`);
    checkTensorData(n, t);
    tensorTypes.set(n, { dtype: t.dtype, shape: [...t.shape] });
  }
  const { order, types } = validateGraph(g, tensorTypes);
  return makeModel(g, order, types);
}
