import { describe, expect, it } from 'vitest';
import { readXnn } from '../../src/format/read.js';
import { writeXnn } from '../../src/format/write.js';
import { crc32 } from '../../src/format/crc32.js';
import { summarize, formatSummary } from '../../src/format/summary.js';
import { XNN_MAGIC } from '../../src/format/xnn.js';
import { tinyGraph } from '../helpers/tiny-model.js';

describe('xnn round trip', () => {
  const g = tinyGraph();
  const bytes = writeXnn(g);

  it('writes the preamble and a 64-aligned blob that ends the file', () => {
    expect([...bytes.subarray(0, 8)]).toEqual([...XNN_MAGIC]);
    const dv = new DataView(bytes.buffer);
    expect(dv.getUint32(8, true)).toBe(1);
    const h = dv.getUint32(12, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + h)));
    const start = Math.ceil((16 + h) / 64) * 64;
    expect(bytes.length).toBe(start + header.blob.length);
    for (const t of Object.values(header.tensors) as { offset: number }[]) expect(t.offset % 64).toBe(0);
  });

  it('reads back the same graph, tensors and metadata', () => {
    const m = readXnn(bytes);
    expect(m.metadata).toEqual(g.metadata);
    expect(m.inputs).toEqual(g.inputs);
    expect(m.outputs).toEqual(g.outputs);
    expect(m.nodes).toEqual(g.nodes);
    expect([...m.tensors.keys()]).toEqual([...g.tensors.keys()]);
    for (const [name, t] of g.tensors) {
      expect(m.tensors.get(name)!.shape).toEqual(t.shape);
      expect([...m.tensors.get(name)!.data]).toEqual([...t.data]);
    }
    expect(m.f32('c1.w')).toEqual(g.tensors.get('c1.w')!.data);
    expect(m.b1('c2.w')).toEqual(g.tensors.get('c2.w')!.data);
    expect(() => m.f32('c2.w')).toThrow(/no f32 tensor/);
  });

  it('exposes a topological order and every inferred type', () => {
    const m = readXnn(bytes);
    expect(m.order.map((n) => n.name)).toEqual(['c1', 'sign', 'c2', 'pool', 'gap', 'flat', 'fc', 'softmax']);
    expect(m.types.get('c2')).toEqual({ dtype: 'f32', shape: [1, 4, 4, 70] });
    expect(m.types.get('sign')).toEqual({ dtype: 'b1', shape: [1, 4, 4, 8] });
    expect(m.types.get('prob')).toEqual({ dtype: 'f32', shape: [1, 4] });
    expect(m.types.get('c2.w')).toEqual({ dtype: 'b1', shape: [70, 3, 3, 8] });
  });

  it('orders shuffled nodes topologically', () => {
    const s = tinyGraph();
    s.nodes.reverse();
    const m = readXnn(writeXnn(s));
    const pos = new Map(m.order.map((n, i) => [n.outputs[0], i]));
    for (const n of m.order) for (const v of n.inputs) if (pos.has(v)) expect(pos.get(v)!).toBeLessThan(pos.get(n.outputs[0])!);
  });

  it('is byte-identical when written again', () => {
    expect(writeXnn(readXnn(bytes))).toEqual(bytes);
  });

  it('views tensors in place when aligned and copies when not', () => {
    const viewed = readXnn(bytes);
    expect(viewed.f32('c1.w').buffer).toBe(bytes.buffer);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const odd = readXnn(shifted.subarray(1));
    expect(odd.f32('c1.w').buffer).not.toBe(shifted.buffer);
    expect(odd.f32('c1.w')).toEqual(viewed.f32('c1.w'));
    expect(readXnn(bytes, { copy: true }).b1('c2.w').buffer).not.toBe(bytes.buffer);
  });

  it('summarizes layers, parameters and packed size', () => {
    const s = summarize(readXnn(bytes));
    expect(s.layers).toHaveLength(8);
    expect(s.binaryParams).toBe(70 * 72);
    expect(s.params).toBe(8 * 27 + 8 + 70 * 72 + 70 + 70 + 280 + 4);
    expect(s.floatBytes).toBe(4 * s.params);
    expect(s.bytes).toBeLessThan(s.floatBytes);
    expect(formatSummary(s)).toMatch(/BinConv2D\s+f32\[1,4,4,70\]/);
  });
});

describe('crc32', () => {
  it('matches the standard check values', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(crc32(enc('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(enc('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
    expect(crc32(enc('56789'), crc32(enc('1234')))).toBe(0xcbf43926);
  });
});

describe('docs/FORMAT.md worked example', () => {
  it('is what writeXnn produces', async () => {
    const { packBits } = await import('../../src/ops/bits.js');
    const { metadata } = await import('../helpers/tiny-model.js');
    const md = metadata([1, 2, 2, 3], []);
    const bytes = writeXnn({
      metadata: {
        name: 'example',
        input: md.input,
        preprocess: { ...md.preprocess, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
        labels: [],
        output: { kind: 'logits' },
        accuracy: [],
        provenance: { source: 'docs/FORMAT.md', license: 'Apache-2.0', converter: 'hand-written' },
      },
      inputs: [{ name: 'data', dtype: 'f32', shape: [1, 2, 2, 3] }],
      outputs: ['y'],
      tensors: new Map([
        ['w', { dtype: 'b1' as const, shape: [2, 1, 1, 3], data: packBits([1, -1, 1, -1, -1, -1], [2, 1, 1, 3]) }],
        ['mul', { dtype: 'f32' as const, shape: [2], data: Float32Array.of(0.5, 0.5) }],
        ['bias', { dtype: 'f32' as const, shape: [2], data: Float32Array.of(1.5, 1.5) }],
      ]),
      nodes: [
        { name: 'sign', op: 'Binarize', inputs: ['data'], outputs: ['s'], attrs: {} },
        { name: 'conv', op: 'BinConv2D', inputs: ['s', 'w', 'mul', 'bias'], outputs: ['y'], attrs: { padValue: 'plus' } },
      ],
    });
    expect(bytes.length).toBe(1032);
    expect([...bytes.subarray(0, 16)]).toEqual([0x89, 0x58, 0x4e, 0x4e, 0x0d, 0x0a, 0x1a, 0x0a, 1, 0, 0, 0, 0x59, 0x03, 0, 0]);
    expect(readXnn(bytes).metadata.name).toBe('example');
    const blob = bytes.subarray(896);
    expect(crc32(blob)).toBe(2394151974);
    expect([...blob.subarray(0, 16)]).toEqual([2, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0]);
  });
});
