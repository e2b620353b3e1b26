// Small valid models for format and interpreter tests, built from seeded data.

import type { XnnGraph, XnnHeader } from '../../src/format/xnn.js';
import { PREAMBLE_BYTES, XNN_MAGIC, alignUp } from '../../src/format/xnn.js';
import { crc32 } from '../../src/format/crc32.js';
import { packBits } from '../../src/ops/bits.js';
import type { ModelInfo } from '../../src/types.js';

export { mulberry32 as rng } from './rng.js';
import { mulberry32 as rng } from './rng.js';

export function metadata(shape: number[], labels: string[]): ModelInfo {
  return {
    name: 'tiny',
    input: { shape, layout: 'NHWC', colorOrder: shape[3] === 3 ? 'RGB' : 'GRAY', valueRange: [0, 1] },
    preprocess: { resizeShortSide: null, centerCrop: null, mean: Array(shape[3]).fill(0), std: Array(shape[3]).fill(1) },
    labels,
    output: { kind: 'probabilities' },
    accuracy: [],
    provenance: { source: 'tests', license: 'Apache-2.0', converter: 'tests' },
  };
}

/**
 * data f32[1,6,6,3] → Conv2D 3x3 (8) relu → Binarize → BinConv2D 3x3 pad 1 (70 channels, so
 * b1 rows have padding bits) → MaxPool 2x2 → GlobalAvgPool → Flatten → Dense (4) → Softmax.
 */
export function tinyGraph(seed = 1): XnnGraph {
  const r = rng(seed);
  const f = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
  const pm = (n: number) => Float32Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1));
  const tensors: XnnGraph['tensors'] = new Map();
  tensors.set('c1.w', { dtype: 'f32', shape: [8, 3, 3, 3], data: f(8 * 27) });
  tensors.set('c1.b', { dtype: 'f32', shape: [8], data: f(8, 0.1) });
  tensors.set('c2.w', { dtype: 'b1', shape: [70, 3, 3, 8], data: packBits(pm(70 * 72), [70, 3, 3, 8]) });
  tensors.set('c2.mul', { dtype: 'f32', shape: [70], data: f(70, 0.05) });
  tensors.set('c2.bias', { dtype: 'f32', shape: [70], data: f(70) });
  tensors.set('fc.w', { dtype: 'f32', shape: [4, 70], data: f(280, 0.3) });
  tensors.set('fc.b', { dtype: 'f32', shape: [4], data: f(4, 0.1) });
  return {
    metadata: metadata([1, 6, 6, 3], ['a', 'b', 'c', 'd']),
    inputs: [{ name: 'data', dtype: 'f32', shape: [1, 6, 6, 3] }],
    outputs: ['prob'],
    tensors,
    nodes: [
      { name: 'c1', op: 'Conv2D', inputs: ['data', 'c1.w', 'c1.b'], outputs: ['c1'], attrs: { activation: 'relu' } },
      { name: 'sign', op: 'Binarize', inputs: ['c1'], outputs: ['sign'], attrs: {} },
      { name: 'c2', op: 'BinConv2D', inputs: ['sign', 'c2.w', 'c2.mul', 'c2.bias'], outputs: ['c2'], attrs: { pads: [1, 1, 1, 1], padValue: 'plus' } },
      { name: 'pool', op: 'MaxPool', inputs: ['c2'], outputs: ['pool'], attrs: { kernel: [2, 2], strides: [2, 2] } },
      { name: 'gap', op: 'GlobalAvgPool', inputs: ['pool'], outputs: ['gap'], attrs: {} },
      { name: 'flat', op: 'Flatten', inputs: ['gap'], outputs: ['flat'], attrs: {} },
      { name: 'fc', op: 'Dense', inputs: ['flat', 'fc.w', 'fc.b'], outputs: ['fc'], attrs: {} },
      { name: 'softmax', op: 'Softmax', inputs: ['fc'], outputs: ['prob'], attrs: {} },
    ],
  };
}

/** Splits a file into its parsed header and blob. */
export function split(bytes: Uint8Array): { header: XnnHeader; blob: Uint8Array } {
  const h = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + h)));
  return { header, blob: bytes.slice(alignUp(PREAMBLE_BYTES + h)) };
}

/** Builds a file from a (possibly broken) header and blob; fixes blob length/CRC unless told not to. */
export function assemble(header: unknown, blob: Uint8Array, opts: { fixBlob?: boolean; headerText?: string } = {}): Uint8Array {
  if (opts.fixBlob ?? true) (header as XnnHeader).blob = { length: blob.length, crc32: crc32(blob) };
  const json = new TextEncoder().encode(opts.headerText ?? JSON.stringify(header));
  const start = alignUp(PREAMBLE_BYTES + json.length);
  const out = new Uint8Array(start + blob.length);
  out.set(XNN_MAGIC);
  new DataView(out.buffer).setUint32(8, 1, true);
  new DataView(out.buffer).setUint32(12, json.length, true);
  out.set(json, PREAMBLE_BYTES);
  out.set(blob, start);
  return out;
}
