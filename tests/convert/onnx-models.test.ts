// ONNX exports of training/xnor_torch (export_onnx), random init, made at test time by
// tests/fixtures/onnx_models.py: small synthetic graphs for each binary pattern and the
// compact 28×28 / 32×32 nets. Each converted .xnn, run by the WASM runtime on the 20 saved
// NCHW inputs (transposed to NHWC), must match torch's logits and onnxruntime-node within
// 1e-3 relative (max|Δ| / max|ref| per input) with the same argmax.

import { beforeAll, describe, expect, it } from 'vitest';
import { convertOnnx } from '../../src/convert/onnx.js';
import { decodeModel, encodeModel } from '../../src/convert/onnx/proto.js';
import { UnsupportedOpError } from '../../src/errors.js';
import { onnxParity } from '../../scripts/onnx-parity.js';
import { ensureOnnxFixtures, expectParity, pythonMissing, readFixture } from '../fixtures/onnx-fixtures.js';

const SYNTHETIC = ['xnor_conv', 'xnor_conv_k', 'xnor_conv_k_s2', 'bwn_conv', 'xnor_linear', 'bwn_linear'];
const COMPACT = ['fmnist_xnor', 'fmnist_bwn', 'fmnist_float', 'cifar10_xnor', 'cifar10_bwn', 'cifar10_float'];

/** The ops the converted graph must contain (beyond parity, the pattern was recognised). */
const EXPECT_OPS: Record<string, string[]> = {
  xnor_conv: ['Binarize', 'BinConv2D'],
  xnor_conv_k: ['Binarize', 'InputScale', 'BinConv2D'],
  xnor_conv_k_s2: ['InputScale', 'BinConv2D'],
  bwn_conv: ['BwnConv2D'],
  xnor_linear: ['Binarize', 'InputScale', 'BinDense'],
  bwn_linear: ['BwnDense'],
  fmnist_xnor: ['InputScale', 'BinConv2D', 'BinDense'],
  fmnist_bwn: ['BwnConv2D', 'BwnDense'],
  cifar10_xnor: ['BinConv2D', 'Add', 'AvgPool'],
  cifar10_bwn: ['BwnConv2D', 'Add'],
};
const BINARY = new Set(['Binarize', 'InputScale', 'BinConv2D', 'BinDense', 'BwnConv2D', 'BwnDense']);

const skip = !!pythonMissing();

describe.skipIf(skip)('ONNX from xnor_torch: WASM = torch = onnxruntime', () => {
  beforeAll(() => {
    ensureOnnxFixtures([...SYNTHETIC, ...COMPACT]);
  }, 300_000);

  for (const name of [...SYNTHETIC, ...COMPACT]) {
    it(name, async () => {
      const f = readFixture(name);
      const r = await onnxParity(f.onnx, { x: f.x, y: f.y });
      expect(r.inputs).toBe(20);
      for (const op of EXPECT_OPS[name] ?? []) expect(r.ops, `${name} has ${op}`).toContain(op);
      if (name.endsWith('_float')) expect(r.ops.filter((o) => BINARY.has(o))).toEqual([]);
      expectParity(r.vsTorch, `${name} ours vs torch`);
      expectParity(r.vsOrt, `${name} ours vs ort`);
    });
  }

  it('xnor_conv_k: the K map is the BinConv2D kmap, padding is "zero"', () => {
    const m = convertOnnx(readFixture('xnor_conv_k').onnx);
    const bconv = m.order.find((n) => n.op === 'BinConv2D')!;
    expect(bconv.attrs.padValue).toBe('zero');
    const k = m.order.find((n) => n.outputs[0] === bconv.inputs[4])!;
    expect(k.op).toBe('InputScale');
    expect(k.attrs).toMatchObject({ kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] });
    expect(m.metadata.provenance.source).toMatch(/^ONNX \(producer pytorch [\d.]+, opset 13, ir_version \d+\)$/);
    expect(m.metadata.input).toMatchObject({ shape: [1, 8, 8, 3], layout: 'NHWC', colorOrder: 'RGB', valueRange: [0, 1] });
  });

  it('a binary conv whose weights are not ±α per channel is an error naming the node', () => {
    const proto = decodeModel(readFixture('xnor_conv').onnx);
    const conv = proto.graph!.node.find((n) => n.op_type === 'Conv' && n.input[0].includes('Where'))!;
    const w = proto.graph!.initializer.find((t) => t.name === conv.input[1])!;
    const raw = new Uint8Array(w.raw_data);
    new DataView(raw.buffer).setFloat32(4 * 5, new DataView(raw.buffer).getFloat32(4 * 5, true) * 1.5, true);
    w.raw_data = raw;
    const bytes = encodeModel(proto as unknown as Record<string, unknown>);
    expect(() => convertOnnx(bytes)).toThrow(UnsupportedOpError);
    expect(() => convertOnnx(bytes)).toThrow(`node "${conv.name}" (Conv): the weights "${conv.input[1]}" of this binary (XNOR) layer are not ±α per output channel: output channel 0`);
  });
});
