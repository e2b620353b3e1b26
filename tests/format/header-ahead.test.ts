// HeaderAhead (the header and graph checked while the blob downloads) may change when a check
// runs, never what readXnn answers: the same model, or the same ModelFormatError message.
import { describe, expect, it } from 'vitest';
import { HeaderAhead } from '../../src/format/header-ahead.js';
import { type ReadOptions, readXnn } from '../../src/format/read.js';
import { writeXnn } from '../../src/format/write.js';
import { assemble, rng, split, tinyGraph } from '../helpers/tiny-model.js';

const good = writeXnn(tinyGraph());
const headerEnd = 16 + new DataView(good.buffer).getUint32(12, true);

/** Feeds `data` cut into pieces: views of it in place (as readModelBytes gives), or copies. */
function fedInPieces(data: Uint8Array, sizes: number[], total = data.length, copies = false): HeaderAhead {
  const a = new HeaderAhead(total);
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length];
    const piece = data.subarray(at, at + n);
    a.feed(copies ? piece.slice() : piece);
    at += n;
  }
  return a;
}

const f32Names = (bytes: Uint8Array) =>
  Object.entries(split(bytes).header.tensors)
    .filter(([, e]) => e.dtype === 'f32')
    .map(([n]) => n)
    .sort();

/** What readXnn answers, as comparable data: the model's parts, or the error's class and message. */
function answer(bytes: Uint8Array, opts: ReadOptions = {}): unknown {
  try {
    const m = readXnn(bytes, opts);
    return { metadata: m.metadata, inputs: m.inputs, outputs: m.outputs, nodes: m.nodes, order: m.order, types: [...m.types], tensors: [...m.tensors] };
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

describe('HeaderAhead', () => {
  it('checks a valid header however the file is cut, and readXnn takes its result', () => {
    for (const sizes of [[1], [3, 5], [15, 1, 2], [16, 7], [headerEnd - 1, 2], [headerEnd, 100], [good.length]]) {
      const a = fedInPieces(good, sizes);
      expect(a.resultFor(good), `pieces ${sizes}`).toBeDefined();
      expect(answer(good, { ahead: a })).toEqual(answer(good));
    }
  });

  it('scans each f32 tensor once its bytes are in, only when the pieces lie in place in the bytes read', () => {
    expect(f32Names(good).length).toBeGreaterThan(1);
    for (const sizes of [[1], [64, 3], [good.length]])
      expect([...fedInPieces(good, sizes).resultFor(good)!.finite].sort(), `pieces ${sizes}`).toEqual(f32Names(good));
    expect(fedInPieces(good, [64], good.length, true).resultFor(good)!.finite.size).toBe(0);
    // the same values in another buffer: checked ahead, but not scanned for readXnn's bytes
    expect(fedInPieces(good, [64]).resultFor(good.slice())!.finite.size).toBe(0);
  });

  it('leaves a non-finite tensor to readXnn, which reports the same element', () => {
    const { header, blob } = split(good);
    const [name] = f32Names(good);
    const e = header.tensors[name];
    const nan = blob.slice();
    new DataView(nan.buffer).setFloat32(e.offset + 4 * (e.length / 4 - 1), Number.NaN, true);
    const bytes = assemble(header, nan);
    const a = fedInPieces(bytes, [100]);
    expect(a.resultFor(bytes)!.finite.has(name)).toBe(false);
    expect(a.resultFor(bytes)!.finite.size).toBe(f32Names(good).length - 1);
    expect(answer(bytes, { ahead: a })).toMatch(new RegExp(`tensor "${name}": element ${e.length / 4 - 1} is not finite`));
    expect(answer(bytes, { ahead: a })).toEqual(answer(bytes));
  });

  it('answers only for the bytes it was fed: every byte, the announced length, the same header', () => {
    expect(fedInPieces(good.subarray(0, good.length - 1), [64], good.length).resultFor(good)).toBeUndefined();
    expect(fedInPieces(good, [64], good.length + 1).resultFor(good)).toBeUndefined();
    const other = good.slice();
    other[headerEnd - 2] ^= 0x01;
    expect(fedInPieces(good, [64]).resultFor(other)).toBeUndefined();
    expect(fedInPieces(good, [64]).resultFor(good)).toBeDefined();
  });

  it('gives readXnn the same answer on mutated files (bytes and header fields), for any length announced', () => {
    const r = rng(4242);
    const { header, blob } = split(good);
    let taken = 0;
    let rejected = 0;
    for (let iter = 0; iter < 1200; iter++) {
      let bytes: Uint8Array;
      if (iter % 3 === 0) {
        const h = structuredClone(header) as unknown as Record<string, any>;
        const node = h.nodes[Math.floor(r() * h.nodes.length)];
        const choices = [
          () => (node.op = 'Relu'),
          () => (node.inputs = [...node.inputs].reverse()),
          () => (h.outputs = ['nope']),
          () => (h.metadata.input.shape = [1, 2]),
          () => delete h.blob,
          () => (h.tensors[Object.keys(h.tensors)[0]].offset += 64),
        ];
        choices[Math.floor(r() * choices.length)]();
        bytes = assemble(h, blob, { fixBlob: r() < 0.8 });
      } else {
        bytes = good.slice();
        const flips = 1 + Math.floor(r() * 3);
        for (let k = 0; k < flips; k++) bytes[Math.floor(r() * (r() < 0.7 ? headerEnd : bytes.length))] ^= 1 << Math.floor(r() * 8);
        if (iter % 3 === 2) bytes = bytes.subarray(0, Math.floor(r() * bytes.length));
      }
      const total = r() < 0.8 ? bytes.length : Math.floor(r() * bytes.length * 2);
      const a = fedInPieces(bytes, [1 + Math.floor(r() * 200)], total, r() < 0.3);
      if (a.resultFor(bytes)) taken++;
      const want = answer(bytes);
      if (typeof want === 'string') rejected++;
      expect(answer(bytes, { ahead: a }), `iteration ${iter}`).toEqual(want);
    }
    // both paths were exercised: headers checked ahead and files rejected
    expect(taken).toBeGreaterThan(50);
    expect(rejected).toBeGreaterThan(600);
  });
});
