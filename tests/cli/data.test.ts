// Data set readers behind `xnor-web eval` (src/data/).
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cifarDataset, idxDataset, openDataset, parseIdx, parseLabelsTsv, type Sample } from '../../src/data/index.js';
import { InputError } from '../../src/errors.js';
import { expectThrows } from '../helpers/errors.js';

const collect = async (it: AsyncIterable<Sample>) => {
  const out: Sample[] = [];
  for await (const s of it) out.push(s);
  return out;
};
const idxHeader = (magic: number, dims: number[]) => {
  const b = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  b.setUint32(0, magic);
  dims.forEach((d, i) => b.setUint32(4 + 4 * i, d));
  return new Uint8Array(b.buffer);
};

describe('labels.tsv', () => {
  it('parses file<TAB>index[<TAB>note], skips blanks and comments', () => {
    expect(parseLabelsTsv('# c\na.jpg\t3\n\nb.png\t-1\tno class\r\n')).toEqual([
      { file: 'a.jpg', label: 3 },
      { file: 'b.png', label: -1 },
    ]);
  });
  it('rejects malformed lines with the line number', () => {
    expect(() => parseLabelsTsv('a.jpg\t3\nb.jpg three\n', 'x.tsv')).toThrow(/x\.tsv:2:/);
    expectThrows(() => parseLabelsTsv('a.jpg\t1.5\n'), InputError, 'labels.tsv:1: expected "file<TAB>class index", got "a.jpg\\t1.5"');
    expectThrows(() => parseLabelsTsv('a.jpg\t\n'), InputError, 'labels.tsv:1: expected "file<TAB>class index", got "a.jpg\\t"');
  });
});

describe('CIFAR binary batch', () => {
  it('yields interleaved RGB 32×32 with labels', async () => {
    const rec = new Uint8Array(3073 * 2);
    rec[0] = 7;
    rec[1] = 10; // R of pixel 0
    rec[1 + 1024] = 20; // G
    rec[1 + 2048] = 30; // B
    rec[1 + 1023] = 40; // R of the last pixel
    rec[3073] = 2;
    const s = await collect(cifarDataset(rec, 'b.bin'));
    expect(s.map((x) => x.label)).toEqual([7, 2]);
    expect(s[0].image).toMatchObject({ width: 32, height: 32, channels: 3 });
    expect(Array.from(s[0].image.data.subarray(0, 3))).toEqual([10, 20, 30]);
    expect(s[0].image.data[1023 * 3]).toBe(40);
  });
  it('rejects a wrong size or a bad label', () => {
    expect(() => cifarDataset(new Uint8Array(3072), 'x.bin')).toThrow(/not a CIFAR-10 binary batch/);
    expectThrows(() => cifarDataset(new Uint8Array(0), 'x.bin'), InputError, /^x\.bin: not a CIFAR-10 binary batch \(0 bytes is not a multiple of the 3073-byte record\)$/);
    const bad = new Uint8Array(3073);
    bad[0] = 10;
    expect(() => cifarDataset(bad, 'x.bin')).toThrow(/label 10/);
  });
});

describe('IDX (MNIST / Fashion-MNIST)', () => {
  const images = Buffer.concat([idxHeader(0x803, [2, 3, 2]), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)]);
  const labels = Buffer.concat([idxHeader(0x801, [2]), Uint8Array.of(4, 9)]);
  it('parses plain and gzipped files; yields grey images', async () => {
    const im = parseIdx(gzipSync(images), 'i.gz');
    expect(im.dims).toEqual([2, 3, 2]);
    const s = await collect(idxDataset(im, parseIdx(labels, 'l'), 'd'));
    expect(s.map((x) => x.label)).toEqual([4, 9]);
    expect(s[1].image).toMatchObject({ width: 2, height: 3, channels: 1 });
    expect(Array.from(s[1].image.data)).toEqual([7, 8, 9, 10, 11, 12]);
  });
  it('validates headers', () => {
    expect(() => parseIdx(Uint8Array.of(1, 2, 3, 4), 'x')).toThrow(/bad magic/);
    expect(() => parseIdx(Buffer.concat([idxHeader(0x0d01, [1]), new Uint8Array(4)]), 'x')).toThrow(/element type/);
    expect(() => parseIdx(images.subarray(0, images.length - 1), 'x')).toThrow(/file holds/);
    expect(() => parseIdx(Uint8Array.of(0x1f, 0x8b, 1, 2, 3), 'x')).toThrow(/gzip/);
    const three = parseIdx(labels, 'l');
    expect(() => idxDataset(parseIdx(images, 'i'), { dims: [3], data: new Uint8Array(3) }, 'd')).toThrow(/2 images but 3 labels/);
    expect(() => idxDataset(three, three, 'd')).toThrow(/rank 3/);
  });
});

describe('openDataset', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xnor-data-'));
  it('recognises a labels.tsv folder, an IDX folder and a CIFAR file', async () => {
    const f = join(dir, 'folder');
    mkdirSync(f);
    writeFileSync(join(f, 'labels.tsv'), 'a.png\t1\n');
    expect((await openDataset(f)).kind).toBe('folder');
    const m = join(dir, 'mnist');
    mkdirSync(m);
    writeFileSync(join(m, 't10k-images-idx3-ubyte.gz'), gzipSync(Buffer.concat([idxHeader(0x803, [1, 1, 1]), Uint8Array.of(5)])));
    writeFileSync(join(m, 't10k-labels-idx1-ubyte.gz'), gzipSync(Buffer.concat([idxHeader(0x801, [1]), Uint8Array.of(3)])));
    const ds = await openDataset(m);
    expect([ds.kind, ds.size]).toEqual(['idx', 1]);
    const c = join(dir, 'b.bin');
    writeFileSync(c, new Uint8Array(3073 * 3));
    expect(await openDataset(c)).toMatchObject({ kind: 'cifar', size: 3 });
  });
  it('clear errors for missing paths and unknown folders', async () => {
    await expect(openDataset(join(dir, 'nope'))).rejects.toThrow(/no such file or folder/);
    const e = join(dir, 'empty');
    mkdirSync(e);
    await expect(openDataset(e)).rejects.toThrow(/neither labels\.tsv nor/);
  });
});
