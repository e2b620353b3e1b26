// writeXnn: validated graph → `.xnn` bytes (layout in src/format/xnn.ts and docs/FORMAT.md).

import { crc32 } from './crc32.js';
import { validateModel } from './validate.js';
import { alignUp, PREAMBLE_BYTES, XNN_MAGIC, XNN_VERSION, type XnnGraph, type XnnHeader, type XnnTensorEntry } from './xnn.js';

/** Serialises a graph; validates it first (throws ModelFormatError) so no invalid file is written. */
export function writeXnn(graph: XnnGraph): Uint8Array {
  validateModel(graph);
  const entries: Record<string, XnnTensorEntry> = {};
  let end = 0;
  for (const [name, t] of graph.tensors) {
    const offset = alignUp(end);
    entries[name] = { dtype: t.dtype, shape: [...t.shape], offset, length: t.data.byteLength };
    end = offset + t.data.byteLength;
  }
  const blob = new Uint8Array(end);
  for (const [name, t] of graph.tensors) {
    if (t.dtype === 'f32') {
      const dv = new DataView(blob.buffer, entries[name].offset, t.data.byteLength);
      t.data.forEach((v, i) => dv.setFloat32(4 * i, v, true));
    } else blob.set(t.data, entries[name].offset);
  }
  const header: XnnHeader = {
    metadata: graph.metadata,
    inputs: graph.inputs,
    outputs: graph.outputs,
    tensors: entries,
    nodes: graph.nodes,
    blob: { length: blob.length, crc32: crc32(blob) },
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const blobStart = alignUp(PREAMBLE_BYTES + json.length);
  const out = new Uint8Array(blobStart + blob.length);
  out.set(XNN_MAGIC, 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, XNN_VERSION, true);
  dv.setUint32(12, json.length, true);
  out.set(json, PREAMBLE_BYTES);
  out.set(blob, blobStart);
  return out;
}
