// An `inspect`-style summary of a validated model: one row per node with its output type and
// parameters, and totals of packed bytes against the float32 equivalent.

import type { XnnModel } from './xnn.js';
import { byteSize, elementCount } from './validate.js';

export interface LayerSummary {
  name: string;
  op: string;
  output: string;
  /** Elements of the node's constant tensors (weights, scales, biases). */
  params: number;
  /** Of those, elements of b1 tensors. */
  binaryParams: number;
  /** Bytes those tensors occupy in the file (b1 packed). */
  bytes: number;
}

export interface ModelSummary {
  name: string;
  input: string;
  outputs: string[];
  layers: LayerSummary[];
  params: number;
  binaryParams: number;
  /** Bytes of all tensors as stored (b1 packed, f32 4 bytes). */
  bytes: number;
  /** Bytes the same tensors would take as float32. */
  floatBytes: number;
  /** Sum of all activation sizes (an upper bound of the arena without reuse). */
  activationBytes: number;
}

const typeStr = (t: { dtype: string; shape: number[] }) => `${t.dtype}[${t.shape.join(',')}]`;

export function summarize(model: XnnModel): ModelSummary {
  const layers: LayerSummary[] = model.order.map((node) => {
    const row: LayerSummary = { name: node.name, op: node.op, output: '', params: 0, binaryParams: 0, bytes: 0 };
    row.output = typeStr(model.types.get(node.outputs[0])!);
    for (const v of node.inputs) {
      const t = model.tensors.get(v);
      if (!t) continue;
      const n = elementCount(t.shape);
      row.params += n;
      if (t.dtype === 'b1') row.binaryParams += n;
      row.bytes += t.data.byteLength;
    }
    return row;
  });
  let params = 0;
  let binaryParams = 0;
  let bytes = 0;
  for (const t of model.tensors.values()) {
    const n = elementCount(t.shape);
    params += n;
    if (t.dtype === 'b1') binaryParams += n;
    bytes += t.data.byteLength;
  }
  let activationBytes = 0;
  for (const node of model.order) activationBytes += byteSize(model.types.get(node.outputs[0])!);
  const inp = model.inputs[0];
  return {
    name: model.metadata.name,
    input: `${inp.name}: ${typeStr(inp)}`,
    outputs: model.outputs.map((o) => `${o}: ${typeStr(model.types.get(o)!)}`),
    layers,
    params,
    binaryParams,
    bytes,
    floatBytes: 4 * params,
    activationBytes,
  };
}

const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`;

/** A plain-text table of a summary, for the CLI. */
export function formatSummary(s: ModelSummary): string {
  const rows = [['node', 'op', 'output', 'params', 'binary', 'bytes']];
  for (const l of s.layers) rows.push([l.name, l.op, l.output, String(l.params), String(l.binaryParams), String(l.bytes)]);
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) => r.map((cell, c) => (c >= 3 ? cell.padStart(w[c]) : cell.padEnd(w[c]))).join('  '));
  return [
    `${s.name}`,
    `input ${s.input}; outputs ${s.outputs.join(', ')}`,
    ...lines,
    `${s.layers.length} nodes, ${s.params} parameters (${s.binaryParams} binary)`,
    `weights ${kb(s.bytes)} stored vs ${kb(s.floatBytes)} as float32 (${(s.floatBytes / Math.max(1, s.bytes)).toFixed(1)}x smaller)`,
    `activations ${kb(s.activationBytes)} in total (before arena reuse)`,
  ].join('\n');
}
