import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../src/errors.js';
import { readXnn } from '../../src/format/read.js';
import { writeXnn } from '../../src/format/write.js';
import type { XnnHeader } from '../../src/format/xnn.js';
import { assemble, split, tinyGraph } from '../helpers/tiny-model.js';

const good = writeXnn(tinyGraph());

/** readXnn must throw a ModelFormatError whose message matches `msg`. */
function rejects(bytes: Uint8Array, msg: RegExp) {
  let err: unknown;
  try {
    readXnn(bytes);
  } catch (e) {
    err = e;
  }
  expect(err, 'readXnn accepted the file').toBeInstanceOf(ModelFormatError);
  expect((err as Error).name).toBe('ModelFormatError');
  expect((err as Error).message).toMatch(msg);
}

/** A file whose header is `edit`ed (blob length and CRC kept consistent). */
function withHeader(edit: (h: XnnHeader & Record<string, any>) => void, blob?: Uint8Array): Uint8Array {
  const { header, blob: b } = split(good);
  edit(header as XnnHeader & Record<string, any>);
  return assemble(header, blob ?? b);
}
const node = (h: XnnHeader, name: string) => h.nodes.find((n) => n.name === name)!;

describe('byte-level problems', () => {
  it('rejects a file truncated at any point', () => {
    const cuts = new Set<number>();
    for (let c = 0; c < 200; c++) cuts.add(c);
    for (let c = 200; c < good.length; c += 97) cuts.add(c);
    cuts.add(good.length - 1);
    for (const c of cuts) rejects(good.subarray(0, c), /truncated|blob|header|magic/);
  });

  it('rejects a wrong magic and says where', () => {
    const b = good.slice();
    b[3] = 0x4d;
    rejects(b, /bad magic at byte 3/);
    rejects(new TextEncoder().encode('PK\x03\x04 a zip file'), /bad magic at byte 0/);
  });

  it('recognises an HTML page', () => {
    for (const text of ['<!DOCTYPE html><html><body>404</body></html>', '\n  \t<html lang="en">', '\ufeff<!doctype html>', '<'])
      rejects(new TextEncoder().encode(text), /looks like an HTML page/);
  });

  it('rejects an unknown version', () => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(8, 2, true);
    rejects(b, /unsupported \.xnn version 2 at byte 8/);
  });

  it('rejects a header length past the end of the file', () => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(12, good.length, true);
    rejects(b, /header length \d+ at byte 12/);
    new DataView(b.buffer).setUint32(12, 0xffffffff, true);
    rejects(b, /header length 4294967295 at byte 12/);
  });

  it('rejects invalid JSON and invalid UTF-8', () => {
    const { header, blob } = split(good);
    rejects(assemble(header, blob, { headerText: '{"metadata": ' }), /not valid UTF-8 JSON/);
    rejects(assemble(header, blob, { headerText: '[1,2,3]' }), /header must be an object/);
    const b = assemble(header, blob);
    b[20] = 0xff;
    rejects(b, /not valid UTF-8 JSON/);
  });

  it('rejects a bad CRC, trailing bytes, a short blob and non-zero padding', () => {
    const b = good.slice();
    b[b.length - 1] ^= 1;
    rejects(b, /CRC-32 mismatch over bytes \d+\.\.\d+/);
    const longer = new Uint8Array(good.length + 64);
    longer.set(good);
    rejects(longer, /blob\.length says \d+ bytes, the file holds \d+ bytes from the blob's start at byte \d+/);
    const h = new DataView(good.buffer).getUint32(12, true);
    if ((16 + h) % 64 !== 0) {
      const p = good.slice();
      p[16 + h] = 1;
      rejects(p, new RegExp(`padding byte at offset ${16 + h}`));
    }
  });

  it('rejects bad tensor offsets and lengths', () => {
    rejects(withHeader((h) => (h.tensors['c1.w'].offset = 32)), /tensor "c1.w": offset 32 is not a multiple of 64/);
    rejects(withHeader((h) => (h.tensors['fc.b'].offset = 1 << 20)), /tensor "fc.b": bytes \d+\.\.\d+ lie past the blob's end/);
    rejects(withHeader((h) => (h.tensors['c1.b'].offset = h.tensors['c1.w'].offset)), /overlap tensor/);
    rejects(withHeader((h) => (h.tensors['c1.w'].length += 4)), /tensor "c1.w": length is \d+ bytes, f32\[8,3,3,3\] needs 864/);
    rejects(withHeader((h) => (h.tensors['c2.w'].length = 70 * 72 / 8)), /tensor "c2.w": length .* needs 5040/);
    rejects(withHeader((h) => (h.tensors['c1.w'].dtype = 'f16' as never)), /tensor "c1.w": dtype must be/);
    rejects(withHeader((h) => (h.tensors['c1.w'].offset = -64)), /tensor "c1.w": offset must be a non-negative integer/);
  });

  it('rejects tensor contents that break the conventions', () => {
    const { header, blob } = split(good);
    const nan = blob.slice();
    new DataView(nan.buffer).setFloat32(header.tensors['c1.b'].offset + 4, NaN, true);
    rejects(assemble(header, nan), /tensor "c1.b": element 1 is not finite/);
    const pad = blob.slice();
    pad[header.tensors['c2.w'].offset + 7] |= 0x80; // bit 63 of row 0 (C = 8)
    rejects(assemble(header, pad), /tensor "c2.w": padding bits/);
  });
});

describe('schema problems', () => {
  it('rejects missing and mistyped fields', () => {
    rejects(withHeader((h) => delete (h as Record<string, unknown>).metadata), /metadata must be an object/);
    rejects(withHeader((h) => (h.extra = 1)), /unknown field "extra"/);
    rejects(withHeader((h) => (h.nodes = {} as never)), /nodes must be an array/);
    rejects(withHeader((h) => (h.nodes[2].inputs = 'sign' as never)), /node "c2": inputs must be an array/);
    rejects(withHeader((h) => (h.nodes[2].attrs = null as never)), /node "c2": attrs must be an object/);
    rejects(withHeader((h) => (h.inputs[0].dtype = 'b1' as never)), /inputs\[0\]\.dtype must be "f32"/);
    const { header, blob } = split(good);
    header.blob.crc32 = -1;
    rejects(assemble(header, blob, { fixBlob: false }), /blob\.crc32 must be a u32/);
    rejects(withHeader((h) => (h.tensors['c1.w'].shape = [8, 3, 3.5, 3])), /tensor "c1.w": shape\[2\] must be a positive integer/);
    rejects(withHeader((h) => (h.tensors['c1.w'].shape = [])), /tensor "c1.w": shape must have rank/);
  });

  it('rejects bad metadata', () => {
    rejects(withHeader((h) => (h.metadata.labels = ['a', 'b', 3 as never, 'd'])), /metadata\.labels\[2\] must be a string/);
    rejects(withHeader((h) => (h.metadata.labels = ['a', 'b'])), /metadata\.labels has 2 entries, output "prob" has 4 classes/);
    rejects(withHeader((h) => (h.metadata.preprocess.mean = [0, 0])), /metadata\.preprocess\.mean and \.std must have 3 entries/);
    rejects(withHeader((h) => (h.metadata.preprocess.std = [1, 0, 1])), /std entries must be > 0/);
    rejects(withHeader((h) => (h.metadata.preprocess.resizeShortSide = 'big' as never)), /resizeShortSide/);
    rejects(withHeader((h) => (h.metadata.input.shape = [1, 7, 7, 3])), /metadata\.input\.shape \[1,7,7,3\] differs from graph input "data"/);
    rejects(withHeader((h) => (h.metadata.input.colorOrder = 'GRAY')), /colorOrder GRAY needs 1 channels/);
    rejects(withHeader((h) => (h.metadata.input.valueRange = [1, 0])), /valueRange/);
    rejects(withHeader((h) => (h.metadata.output.kind = 'scores' as never)), /output\.kind/);
    rejects(withHeader((h) => (h.metadata.accuracy = [{ dataset: 'x', n: 10, top1: 1.5 }])), /accuracy\[0\]\.top1 must be in \[0, 1\]/);
    rejects(withHeader((h) => (h.metadata.provenance = { source: 1 } as never)), /provenance\.source must be a string/);
  });
});

describe('graph problems', () => {
  it('names the node whose shapes do not match', () => {
    const w = withHeader((h) => {
      node(h, 'fc').inputs[1] = 'c1.w';
    });
    rejects(w, /node "fc" \(Dense\): input must have rank 2|node "fc" \(Dense\): weights must have rank 2/);
    rejects(
      withHeader((h) => (node(h, 'c2').inputs[2] = 'fc.b')),
      /node "c2" \(BinConv2D\): mul must be \[70\], got f32\[4\]/,
    );
    rejects(
      withHeader((h) => (node(h, 'c2').attrs = { strides: [9, 9], pads: [0, 0, 0, 0] })),
      /node "c2" \(BinConv2D\)|node "pool" \(MaxPool\)/,
    );
  });

  it('checks dtypes against the declaration', () => {
    rejects(withHeader((h) => (node(h, 'c2').inputs[0] = 'c1')), /node "c2" \(BinConv2D\): input 0 \(x\) "c1" must be b1, got f32\[1,4,4,8\]/);
  });

  it('rejects an unknown op and bad attributes', () => {
    rejects(withHeader((h) => (node(h, 'sign').op = 'Sign' as never)), /node "sign": unknown op "Sign"/);
    rejects(withHeader((h) => (node(h, 'c2').attrs.padValue = 'one')), /node "c2" \(BinConv2D\): attribute "padValue" must be one of plus\|minus\|zero/);
    rejects(withHeader((h) => (node(h, 'c2').attrs.padding = 1)), /node "c2" \(BinConv2D\): unknown attribute "padding"/);
    rejects(withHeader((h) => (node(h, 'c2').attrs.toString = 1 as never)), /unknown attribute "toString"/);
    rejects(withHeader((h) => (node(h, 'pool').attrs.kernel = [2])), /node "pool" \(MaxPool\): attribute "kernel" must be 2 integers/);
    rejects(withHeader((h) => delete node(h, 'pool').attrs.kernel), /node "pool" \(MaxPool\): missing attribute "kernel"/);
  });

  it('rejects wrong input counts and missing inputs', () => {
    rejects(withHeader((h) => node(h, 'c2').inputs.pop()), /node "c2" \(BinConv2D\): takes 4\.\.5 inputs, got 3/);
    rejects(withHeader((h) => node(h, 'sign').inputs.push('c1')), /node "sign" \(Binarize\): takes 1 inputs, got 2/);
    rejects(withHeader((h) => (node(h, 'c2').inputs[1] = '')), /node "c2" \(BinConv2D\): input 1 \(w\) is required/);
    rejects(withHeader((h) => (node(h, 'fc').inputs[0] = 'nothing')), /node "fc" \(Dense\): input 0 \(x\) refers to "nothing"/);
    // An optional slot may be empty.
    const ok = withHeader((h) => (node(h, 'fc').inputs[2] = ''));
    expect(readXnn(ok).types.get('fc')!.shape).toEqual([1, 4]);
  });

  it('rejects dangling and duplicate names', () => {
    rejects(withHeader((h) => (h.outputs = ['nope'])), /outputs: "nope" is not produced by any node/);
    rejects(withHeader((h) => (h.outputs = ['c1.w'])), /outputs: "c1.w" is not produced by any node/);
    rejects(withHeader((h) => (h.outputs = [])), /outputs must name at least one value/);
    rejects(withHeader((h) => (node(h, 'gap').name = 'pool')), /node "pool" \(GlobalAvgPool\): node name used twice/);
    rejects(withHeader((h) => (node(h, 'gap').outputs = ['pool'])), /value "pool" is already produced by node "pool"/);
    rejects(withHeader((h) => (node(h, 'gap').outputs = ['c1.w'])), /output "c1.w" clashes with a tensor/);
    rejects(withHeader((h) => (node(h, 'gap').outputs = ['gap', 'x'])), /must have exactly one output/);
    rejects(
      withHeader((h) => {
        h.tensors.data = h.tensors['fc.b'];
        delete h.tensors['fc.b'];
        node(h, 'fc').inputs[2] = 'data';
      }),
      /tensor "data": name clashes with the graph input/,
    );
  });

  it('reports a node on a cycle', () => {
    rejects(withHeader((h) => (node(h, 'sign').inputs[0] = 'pool')), /node "(sign|c2|pool)" \((Binarize|BinConv2D|MaxPool)\): the graph has a cycle/);
    rejects(withHeader((h) => (node(h, 'sign').inputs[0] = 'sign')), /node "sign" \(Binarize\): the graph has a cycle/);
    // A cycle downstream of valid nodes, reached from a node that is not on it.
    rejects(
      withHeader((h) => {
        node(h, 'gap').inputs[0] = 'fc';
        node(h, 'flat').inputs[0] = 'gap';
      }),
      /node "(gap|flat|fc)" \(\w+\): the graph has a cycle/,
    );
  });

  it('fails fast on absurd sizes', () => {
    rejects(withHeader((h) => (h.tensors['c1.w'].shape = [2 ** 20, 2 ** 20])), /tensor "c1.w": shape \[1048576,1048576\] has more than 268435456 elements/);
    rejects(withHeader((h) => (h.inputs[0].shape = [1, 2 ** 20, 2 ** 20, 3])), /inputs\[0\]\.shape .* has more than/);
    rejects(withHeader((h) => (h.tensors['c1.w'].shape = [2 ** 53, 2])), /must be a positive integer/);
    rejects(withHeader((h) => (h.tensors['c1.w'].length = 2 ** 40)), /length is 1099511627776 bytes/);
    // Each value is within the per-tensor bound but together they pass 1 GiB.
    const { header, blob } = split(good);
    const shape = [1, 8192, 8192, 3];
    header.inputs[0].shape = shape;
    header.metadata.input.shape = shape;
    header.outputs = ['r3'];
    header.metadata.labels = [];
    header.nodes = ['r1', 'r2', 'r3'].map((n, i) => ({ name: n, op: 'Relu', inputs: [i ? `r${i}` : 'data'], outputs: [n], attrs: {} }));
    rejects(assemble(header, blob), /node "r2" \(Relu\): the graph's activations exceed 1073741824 bytes/);
    // And a conv that blows a small input up past the per-tensor bound.
    rejects(
      withHeader((h) => (node(h, 'c1').attrs = { pads: [2 ** 19 - 1, 2 ** 19 - 1, 2 ** 19 - 1, 2 ** 19 - 1] })),
      /node "c1" \(Conv2D\): inferred output shape .* has more than/,
    );
  });
});
