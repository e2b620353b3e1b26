import { describe, expect, it } from 'vitest';
import { convertBmxnet } from '../../src/convert/bmxnet.js';
import { parseMxnetParams } from '../../src/convert/mxnet-params.js';
import { ConvertError, UnsupportedOpError } from '../../src/errors.js';
import { makeParams, makeSymbol, packBmxnet, type SymNode } from '../helpers/mxnet.js';
import { expectThrows } from '../helpers/errors.js';

const catchErr = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
};

describe('MXNet .params parsing', () => {
  const file = makeParams([
    { name: 'w', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] },
    { name: 'bits', shape: [2], dtype: 'f64', data: new Uint8Array(16).fill(0xa5) },
  ]);

  it('reads names, shapes, dtypes and data', () => {
    const p = parseMxnetParams(file);
    expect([...p.keys()]).toEqual(['w', 'bits']);
    expect(p.get('w')).toMatchObject({ kind: 'arg', shape: [2, 3], dtype: 'f32' });
    expect([...new Float32Array(p.get('w')!.bytes.slice().buffer)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(p.get('bits')!.bytes).toEqual(new Uint8Array(16).fill(0xa5));
  });

  it('reads the MXNet >= 1.0 (V2) array layout', () => {
    const b: number[] = [];
    const u32 = (...v: number[]) => v.forEach((x) => b.push(...new Uint8Array(Uint32Array.of(x >>> 0).buffer)));
    u32(0x112, 0, 0, 0, 1, 0); // magic, reserved, N = 1
    u32(0xf993fac9, 0, 1, 3, 0, 1, 0, 0); // V2, dense, ndim 1, dim 3 (i64), cpu, type f32
    b.push(...new Uint8Array(Float32Array.of(1, 2, 3).buffer));
    u32(1, 0, 5, 0);
    b.push(...new TextEncoder().encode('aux:m'));
    const p = parseMxnetParams(Uint8Array.from(b));
    expect(p.get('m')).toMatchObject({ kind: 'aux', shape: [3], dtype: 'f32' });
  });

  it('rejects a file truncated at any point, with the byte offset', () => {
    for (let cut = 0; cut < file.length; cut++) {
      const e = catchErr(() => parseMxnetParams(file.subarray(0, cut)));
      expect(e).toBeInstanceOf(ConvertError);
      expect(e.message).toMatch(/^params: .* at byte \d+$/);
    }
  });

  it('rejects a wrong magic, absurd counts and shapes, bad type flags, trailing bytes', () => {
    const patch = (at: number, v: number) => {
      const b = file.slice();
      new DataView(b.buffer).setUint32(at, v, true);
      return b;
    };
    expect(catchErr(() => parseMxnetParams(patch(0, 0x113))).message).toMatch(/not an MXNet NDArray list .* at byte 0/);
    expect(catchErr(() => parseMxnetParams(patch(16, 0x7fffffff))).message).toMatch(/array count 2147483647 cannot fit/);
    expect(catchErr(() => parseMxnetParams(patch(28, 0xffffffff))).message).toMatch(/array 0 shape .* is larger than the file at byte 24/);
    expect(catchErr(() => parseMxnetParams(patch(24, 1000))).message).toMatch(/array 0 claims 1000 dimensions/);
    expect(catchErr(() => parseMxnetParams(patch(44, 9))).message).toMatch(/unknown type_flag 9 at byte 44/);
    const longer = new Uint8Array(file.length + 3);
    longer.set(file);
    expect(catchErr(() => parseMxnetParams(longer)).message).toMatch(/3 unexpected bytes after the names/);
    for (const bad of [longer, patch(0, 1)]) expect(() => parseMxnetParams(bad)).toThrow(ConvertError);
  });
});

describe('symbol problems', () => {
  const params = makeParams([
    { name: 'w', shape: [1], dtype: 'f64', data: packBmxnet(new Array(64).fill(1)) },
    { name: 'fw', shape: [2, 64], data: new Array(128).fill(0.5) },
  ]);
  const net = (extra: Partial<SymNode> = {}, op = 'QFullyConnected'): string =>
    makeSymbol([
      { op: 'Flatten', name: 'flat', inputs: ['data'] },
      { op, name: 'fc', inputs: ['flat', op === 'QFullyConnected' ? 'w' : 'fw'], attrs: { num_hidden: op === 'QFullyConnected' ? '1' : '2' }, ...extra },
    ]);
  const mnist8 = { input: { shape: [1, 8, 8, 1], layout: 'NHWC' as const, colorOrder: 'GRAY' as const, valueRange: [0, 1] as [number, number] }, labels: [] };

  it('converts the small valid network', () => {
    const m = convertBmxnet(net(), params, 'mnist', mnist8);
    expect(m.nodes.map((n) => n.op)).toEqual(['Flatten', 'Binarize', 'BinDense']);
    expect(m.metadata.output.kind).toBe('logits');
  });

  it('rejects invalid JSON and structure', () => {
    expectThrows(() => convertBmxnet('{nodes:', params, 'mnist'), ConvertError, /^symbol: not valid JSON: /);
    expect(catchErr(() => convertBmxnet('{"nodes": 3}', params, 'mnist')).message).toMatch(/"nodes" array/);
    expect(catchErr(() => convertBmxnet('{"nodes": [{"op": "Flatten", "name": "f", "inputs": [[0, 0]]}]}', params, 'mnist')).message).toMatch(
      /node "f" \(Flatten\): input 0 must be \[earlier node index, output index\]/,
    );
  });

  it('names the node of an unknown op', () => {
    const e = catchErr(() => convertBmxnet(net({ op: 'LRN' }), params, 'mnist', mnist8));
    expect(e).toBeInstanceOf(UnsupportedOpError);
    expect(e.message).toBe('node "fc" (LRN): op LRN is not supported');
  });

  it('rejects unsupported and malformed attributes', () => {
    const e = catchErr(() => convertBmxnet(net({ attrs: { num_hidden: '1', act_bit: '2' } }), params, 'mnist', mnist8));
    expect(e).toBeInstanceOf(UnsupportedOpError);
    expect(e.message).toBe('node "fc" (QFullyConnected): attribute act_bit=2 is not supported');
    const u = catchErr(() => convertBmxnet(net({ attrs: { num_hidden: '1', colour: 'blue' } }), params, 'mnist', mnist8));
    expect(u.message).toBe('node "fc" (QFullyConnected): attribute colour=blue is not supported');
    const m = catchErr(() => convertBmxnet(net({ attrs: { num_hidden: 'one' } }), params, 'mnist', mnist8));
    expect(m).toBeInstanceOf(ConvertError);
    expect(m.message).toMatch(/node "fc" \(QFullyConnected\): attribute num_hidden=one is not an integer/);
    const conv = makeSymbol([{ op: 'Convolution', name: 'c', inputs: ['data', 'fw'], attrs: { kernel: '(3, 3)', num_filter: '2', num_group: '2' } }]);
    expect(catchErr(() => convertBmxnet(conv, params, 'mnist', mnist8)).message).toBe('node "c" (Convolution): attribute num_group=2 is not supported');
    const pool = makeSymbol([{ op: 'Pooling', name: 'p', inputs: ['data'], attrs: { kernel: '(2, 2)', pool_type: 'lp' } }]);
    expect(catchErr(() => convertBmxnet(pool, params, 'mnist', mnist8)).message).toBe('node "p" (Pooling): attribute pool_type=lp is not supported');
    const tuple = makeSymbol([{ op: 'Pooling', name: 'p', inputs: ['data'], attrs: { kernel: '(2, x)' } }]);
    expect(catchErr(() => convertBmxnet(tuple, params, 'mnist', mnist8))).toBeInstanceOf(ConvertError);
  });

  it('rejects parameters of the wrong size and missing parameters', () => {
    const e = catchErr(() => convertBmxnet(net({ attrs: { num_hidden: '2' } }), params, 'mnist', mnist8));
    expect(e).toBeInstanceOf(ConvertError);
    expect(e.message).toMatch(/node "fc" \(QFullyConnected\): parameter "w" has 1 elements \[1\], expected 2/);
    const missing = makeSymbol([{ op: 'FullyConnected', name: 'fc', inputs: ['data', 'nothing'], attrs: { num_hidden: '2' } }]);
    expect(catchErr(() => convertBmxnet(missing, params, 'mnist', mnist8)).message).toMatch(/a second graph input/);
  });

  it('rejects a graph whose shapes do not fit', () => {
    const e = catchErr(() => convertBmxnet(net({}, 'FullyConnected'), params, 'mnist'));
    expect(e).toBeInstanceOf(ConvertError);
    expect(e.message).toMatch(/node "fc" \(FullyConnected\): parameter "fw" has 128 elements \[2,64\], expected 1568/);
  });
});
