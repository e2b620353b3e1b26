// Hostile and unusual images and tensors, end to end: decodeImage (Node) → Model.classify with
// a shipped model (models/cifar10-xnor.xnn: 32×32 RGB, no resize step, so any other size is an
// InputError by design). Every outcome is a classification or a named XnorError; nothing is
// allocated in proportion to a size an image merely claims.

import { deflateSync } from 'node:zlib';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageDecodeError, InputError, XnorError } from '../../src/errors.js';
import { decodeImage } from '../../src/image/decode-node.js';
import { openModel as loadModel, type Model } from '../../src/runtime/model.js';
import type { RawImage } from '../../src/types.js';
import { rng } from '../helpers/tiny-model.js';
import { pngFile } from '../helpers/png.js';
import { REPO_ROOT } from '../helpers/shared.js';
import { expectThrows } from '../helpers/errors.js';

let model: Model;
beforeAll(async () => {
  model = await loadModel(join(REPO_ROOT, 'models/cifar10-xnor.xnn'));
});
afterAll(() => model?.dispose());

// ---- builders --------------------------------------------------------------------------

/** A PNG by hand; `rows` = the raw scanlines without filter bytes (filter 0 is added). */
function png(width: number, height: number, colorType: number, depth: number, rows?: Uint8Array, idat?: Uint8Array): Uint8Array {
  let data = idat;
  if (!data) {
    const spp = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType as 0 | 2 | 4 | 6];
    const stride = Math.ceil((width * spp * depth) / 8);
    const raw = new Uint8Array((stride + 1) * height);
    for (let y = 0; y < height; y++) raw.set((rows ?? new Uint8Array(stride * height).map((_, i) => (i * 37) & 255)).subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
    data = deflateSync(raw);
  }
  return pngFile(width, height, colorType, depth, data);
}
function jpegRgb(width: number, height: number): Uint8Array {
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 29) & 255;
  return new Uint8Array(jpeg.encode({ width, height, data }, 90).data);
}
/**
 * A baseline CMYK JPEG by hand (Adobe APP14, transform 0): 4 components, every coefficient 0,
 * one-code Huffman tables, so each 8×8 block is two bits ("DC diff 0", "EOB").
 */
function jpegCmyk(size: number): Uint8Array {
  const seg = (marker: number, body: number[]) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 255, ...body];
  const blocks = (size / 8) ** 2 * 4;
  return Uint8Array.from([
    0xff, 0xd8,
    ...seg(0xee, [...'Adobe'].map((c) => c.charCodeAt(0)).concat([0, 100, 0, 0, 0, 0, 0])),
    ...seg(0xdb, [0, ...Array(64).fill(1)]),
    ...seg(0xc0, [8, size >> 8, size & 255, size >> 8, size & 255, 4, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0]),
    ...seg(0xc4, [0x00, 1, ...Array(15).fill(0), 0]),
    ...seg(0xc4, [0x10, 1, ...Array(15).fill(0), 0]),
    ...seg(0xda, [4, 1, 0, 2, 0, 3, 0, 4, 0, 0, 63, 0]),
    ...Array(Math.ceil((blocks * 2) / 8)).fill(0),
    0xff, 0xd9,
  ]);
}

/** The outcome: predictions, or the name of the XnorError; anything else fails the test. */
function classifyBytes(bytes: Uint8Array, fit: 'auto' | 'strict' = 'auto'): { top: number; channels: number } | string {
  try {
    const img = decodeImage(bytes, 'hostile');
    const p = model.classify(img, { fit });
    expect(p.length).toBe(5);
    for (const x of p) expect(Number.isFinite(x.prob)).toBe(true);
    return { top: p[0].index, channels: img.channels };
  } catch (e) {
    if (e instanceof XnorError) return e.name;
    throw e;
  }
}

const mb = () => process.memoryUsage().rss / 2 ** 20;

// ---- decoded images --------------------------------------------------------------------

describe('hostile images through decode → classify', () => {
  it('32×32 in every PNG colour type and depth classifies', () => {
    const n = 32 * 32;
    const cases: [number, number, number][] = [[0, 8, 1], [4, 8, 2], [2, 8, 3], [6, 8, 4], [0, 16, 1], [2, 16, 3], [6, 16, 4], [0, 1, 1]];
    for (const [ct, depth, channels] of cases) {
      const spp = { 0: 1, 2: 3, 4: 2, 6: 4 }[ct as 0 | 2 | 4 | 6];
      const rows = new Uint8Array(Math.ceil((32 * spp * depth) / 8) * 32).map((_, i) => (i * 53 + 7) & 255);
      const r = classifyBytes(png(32, 32, ct, depth, rows));
      expect(r, `colour type ${ct}, depth ${depth}`).toEqual({ top: expect.any(Number), channels });
    }
    expect(n).toBe(1024);
  });

  it('a 32×32 RGB JPEG and a 32×32 CMYK JPEG classify', () => {
    expect(classifyBytes(jpegRgb(32, 32))).toEqual({ top: expect.any(Number), channels: 3 });
    const cmyk = jpegCmyk(32);
    const img = decodeImage(cmyk, 'cmyk.jpg');
    expect([img.width, img.height, img.channels]).toEqual([32, 32, 3]);
    expect(classifyBytes(cmyk)).toEqual({ top: expect.any(Number), channels: 3 });
  });

  it("1×1, 1×5000, 5000×1 and other sizes → InputError with fit 'strict' (this model does not resize)", () => {
    for (const [w, h] of [[1, 1], [1, 5000], [5000, 1], [31, 32], [64, 64]]) expect(classifyBytes(png(w, h, 2, 8), 'strict'), `${w}x${h}`).toBe('InputError');
    expect(classifyBytes(jpegRgb(1, 1), 'strict')).toBe('InputError');
    expect(classifyBytes(jpegRgb(1, 2000), 'strict')).toBe('InputError');
  });

  it("the same sizes classify with fit 'auto' (the default): short side scaled, centre cropped", () => {
    for (const [w, h] of [[1, 1], [1, 5000], [5000, 1], [31, 32], [64, 64]])
      expect(classifyBytes(png(w, h, 2, 8)), `${w}x${h}`).toEqual({ top: expect.any(Number), channels: 3 });
    expect(classifyBytes(jpegRgb(1, 2000))).toEqual({ top: expect.any(Number), channels: 3 });
  });

  it('zero-sized → ImageDecodeError (PNG) or InputError (raw pixels)', () => {
    expect(classifyBytes(png(0, 32, 2, 8, new Uint8Array(0)))).toBe('ImageDecodeError');
    expect(classifyBytes(png(32, 0, 2, 8, new Uint8Array(0)))).toBe('ImageDecodeError');
    expectThrows(() => model.classify({ width: 0, height: 0, channels: 3, data: new Uint8Array(0) }), InputError, 'image has no pixels: 0x0');
    // A JPEG SOF with zero height: jpeg-js must not hand back an empty image.
    const j = jpegRgb(8, 8);
    const sof = j.findIndex((b, i) => b === 0xff && j[i + 1] === 0xc0);
    j[sof + 5] = 0;
    j[sof + 6] = 0;
    expect(classifyBytes(j)).toBe('ImageDecodeError');
  });

  it('a PNG claiming 30000×30000 (decompression bomb) → ImageDecodeError before allocating', () => {
    // 900 MP of zeros deflates to ~2.6 MB; we send only a small slice: the header decides.
    const bomb = png(30000, 30000, 6, 8, undefined, deflateSync(new Uint8Array(1 << 20)));
    const before = mb();
    const e = (() => {
      try {
        decodeImage(bomb, 'bomb.png');
      } catch (x) {
        return x as Error;
      }
    })();
    expect(e).toBeInstanceOf(ImageDecodeError);
    expect(e!.message).toMatch(/30000x30000.*exceeds/);
    expect(mb() - before).toBeLessThan(64);
    // Just under the pixel limit but 16-bit RGBA and a lying IDAT: still a named error.
    expect(classifyBytes(png(10000, 10000, 6, 16, undefined, deflateSync(new Uint8Array(4096))))).toBe('ImageDecodeError');
  });

  it('corrupt and truncated PNG/JPEG → ImageDecodeError; seeded mutations never escape', () => {
    const p = png(32, 32, 2, 8);
    const j = jpegRgb(32, 32);
    for (const cut of [8, 20, 33, 40, p.length - 13, p.length - 1]) expect(classifyBytes(p.subarray(0, cut)), `png cut ${cut}`).toBe('ImageDecodeError');
    for (const cut of [3, 20, 200, j.length >> 1, j.length - 2]) expect(classifyBytes(j.subarray(0, cut)), `jpeg cut ${cut}`).toBe('ImageDecodeError');
    const r = rng(99);
    const seen = new Map<string, number>();
    const before = mb();
    for (let i = 0; i < 400; i++) {
      const src = i % 2 ? p : j;
      const b = src.slice();
      for (let k = 0; k < 1 + Math.floor(r() * 6); k++) b[Math.floor(r() * (r() < 0.5 ? 64 : b.length))] ^= 1 << Math.floor(r() * 8);
      const o = classifyBytes(r() < 0.2 ? b.subarray(0, Math.floor(r() * b.length)) : b);
      const key = typeof o === 'string' ? o : 'classified';
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    for (const k of seen.keys()) expect(['classified', 'ImageDecodeError', 'InputError']).toContain(k);
    expect(mb() - before).toBeLessThan(256);
  });
});

// ---- raw images and tensors ------------------------------------------------------------

describe('hostile raw images and tensors → InputError', () => {
  const good = () => new Float32Array(32 * 32 * 3);
  const img = (o: Partial<RawImage>): RawImage => ({ width: 32, height: 32, channels: 3, data: new Uint8Array(32 * 32 * 3), ...o });

  it('the model runs on a valid tensor', () => {
    expect(model.run(good()).data.length).toBe(10);
    expect(model.run({ shape: [1, 32, 32, 3], data: good() }).shape).toEqual([1, 10]);
  });

  it('wrong shape, length or type', () => {
    const bad: unknown[] = [
      new Float32Array(10),
      new Float32Array(32 * 32 * 3 + 1),
      { shape: [1, 32, 32, 1], data: good() },
      { shape: [32, 32, 3], data: good() },
      { shape: [1, 32, 32, 3], data: new Float32Array(5) },
      { shape: [1, 32, 32, 3], data: new Float64Array(32 * 32 * 3) },
      { shape: [1, 32, 32, 3], data: Array(32 * 32 * 3).fill(0) },
      { shape: '1,32,32,3', data: good() },
      new Float64Array(32 * 32 * 3),
      new Int32Array(32 * 32 * 3),
      null,
      undefined,
      {},
    ];
    for (const x of bad)
      expectThrows(
        () => model.run(x as Float32Array),
        InputError,
        /^input (must be a Float32Array or a Tensor|shape \[.*\] differs from the model's \[1,32,32,3\]|has \d+ values, the model takes|data has \d+ values for shape)/,
      );
  });

  it('NaN and ±Infinity anywhere', () => {
    for (const v of [NaN, Infinity, -Infinity])
      for (const at of [0, 1500, 32 * 32 * 3 - 1]) {
        const x = good();
        x[at] = v;
        expectThrows(() => model.run(x), InputError, `input[${at}] is ${v}: inputs must be finite`);
      }
  });

  it('raw images with bad channels, sizes or data', () => {
    const bad: RawImage[] = [
      img({ channels: 5 as 3 }),
      img({ channels: 0 as 3 }),
      img({ data: new Uint8Array(7) }),
      img({ width: -32 }),
      img({ width: 32.5 }),
      img({ width: NaN }),
      img({ data: undefined as unknown as Uint8Array }),
      img({ width: 2 ** 31, height: 2 ** 31 }),
    ];
    for (const x of bad)
      expectThrows(() => model.classify(x), InputError, /^image (has no pixels: |channels must be 1, 2, 3 or 4, got |data has \d+ bytes, expected )/);
    expectThrows(() => model.classify(img({}), { top: 0 }), InputError, 'top must be a positive integer, got 0');
    expectThrows(() => model.classify(img({}), { top: 1.5 }), InputError, 'top must be a positive integer, got 1.5');
    expect(model.classify(img({}), { top: 100 }).length).toBe(10);
  });
});
