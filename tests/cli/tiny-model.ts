// A tiny synthetic .xnn built at test time: RGB 8×8 in → float conv → Binarize → XNOR conv →
// global average pool → dense → 3 logits. Deterministic weights.

import { writeXnn } from '../../src/format/write.js';
import type { XnnGraph, XnnTensor } from '../../src/format/xnn.js';
import { packBits } from '../../src/ops/bits.js';
import type { ModelInfo } from '../../src/types.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface TinyOptions {
  size?: number;
  colorOrder?: 'RGB' | 'GRAY';
  resizeShortSide?: number | null;
  centerCrop?: [number, number] | null;
  outputKind?: 'logits' | 'probabilities';
}

export function tinyGraph(o: TinyOptions = {}): XnnGraph {
  const size = o.size ?? 8;
  const c = o.colorOrder === 'GRAY' ? 1 : 3;
  const r = rng(42);
  const f32 = (shape: number[], scale = 1, offset = 0): XnnTensor => ({
    dtype: 'f32',
    shape,
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() - 0.5) * scale + offset),
  });
  const b1 = (shape: number[]): XnnTensor => ({
    dtype: 'b1',
    shape,
    data: packBits(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() < 0.5 ? -1 : 1)), shape),
  });
  const metadata: ModelInfo = {
    name: 'tiny-test',
    description: 'synthetic test model',
    input: { shape: [1, size, size, c], layout: 'NHWC', colorOrder: o.colorOrder ?? 'RGB', valueRange: [0, 1] },
    preprocess: {
      resizeShortSide: o.resizeShortSide ?? null,
      centerCrop: o.centerCrop ?? null,
      mean: new Array(c).fill(0.5),
      std: new Array(c).fill(0.25),
    },
    labels: ['alpha', 'beta', 'gamma'],
    output: { kind: o.outputKind ?? 'logits' },
    accuracy: [],
    provenance: { source: 'tests/cli/tiny-model.ts' },
  };
  const tensors = new Map<string, XnnTensor>([
    ['w0', f32([8, 3, 3, c], 1)],
    ['b0', f32([8], 0.2)],
    ['w1', b1([8, 3, 3, 8])],
    ['m1', f32([8], 0.1, 0.1)],
    ['c1', f32([8], 0.5)],
    ['w2', f32([3, 8], 1)],
    ['b2', f32([3], 0.1)],
  ]);
  return {
    metadata,
    inputs: [{ name: 'x', dtype: 'f32', shape: [1, size, size, c] }],
    outputs: ['logits'],
    nodes: [
      { name: 'conv0', op: 'Conv2D', inputs: ['x', 'w0', 'b0'], outputs: ['h0'], attrs: { pads: [1, 1, 1, 1] } },
      { name: 'sign1', op: 'Binarize', inputs: ['h0'], outputs: ['s1'], attrs: {} },
      { name: 'bconv1', op: 'BinConv2D', inputs: ['s1', 'w1', 'm1', 'c1'], outputs: ['h1'], attrs: { pads: [1, 1, 1, 1] } },
      { name: 'gap', op: 'GlobalAvgPool', inputs: ['h1'], outputs: ['g'], attrs: {} },
      { name: 'flat', op: 'Flatten', inputs: ['g'], outputs: ['f'], attrs: {} },
      { name: 'fc', op: 'Dense', inputs: ['f', 'w2', 'b2'], outputs: ['logits'], attrs: {} },
    ],
    tensors,
  };
}

export function tinyModelBytes(o: TinyOptions = {}): Uint8Array {
  return writeXnn(tinyGraph(o));
}
