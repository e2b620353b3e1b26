import { deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { ImageDecodeError } from '../../src/errors.js';
import { decodeImage, readImageFile, sniffImage } from '../../src/image/decode-node.js';
import { pngFile } from '../helpers/png.js';
import { expectThrows } from '../helpers/errors.js';

const { PNG } = pngjs;

/** A PNG built by hand: IHDR + extra chunks + IDAT of the given filtered scanlines + IEND. */
const makePng = (width: number, height: number, colorType: number, depth: number, rows: Uint8Array, extra: [string, Uint8Array][] = []) =>
  pngFile(width, height, colorType, depth, deflateSync(rows), extra);

function encodePng(width: number, height: number, rgba: Uint8Array, colorType: 0 | 2 | 4 | 6) {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba);
  return PNG.sync.write(png, { colorType, inputColorType: 6 });
}

const W = 3;
const H = 2;
const rgba = Uint8Array.from({ length: W * H * 4 }, (_, i) => (i % 4 === 3 ? 200 : (i * 29) % 256));

describe('PNG (pngjs)', () => {
  it('RGBA → 4 channels, exact', () => {
    const img = decodeImage(encodePng(W, H, rgba, 6));
    expect([img.width, img.height, img.channels]).toEqual([W, H, 4]);
    expect(Array.from(img.data)).toEqual(Array.from(rgba));
  });
  // (pngjs's encoder composites alpha when it drops it, so opaque pixels for RGB and grey)
  const opaque = rgba.map((v, i) => (i % 4 === 3 ? 255 : v));
  it('RGB → 3 channels, exact', () => {
    const img = decodeImage(encodePng(W, H, opaque, 2));
    expect(img.channels).toBe(3);
    expect(Array.from(img.data)).toEqual(Array.from(rgba).filter((_, i) => i % 4 !== 3));
  });
  it('grey and grey+alpha → 1 and 2 channels', () => {
    const g = Uint8Array.from({ length: W * H * 4 }, (_, i) => (i % 4 === 3 ? 255 : Math.floor(i / 4) * 40));
    const a = decodeImage(encodePng(W, H, g, 0));
    expect(a.channels).toBe(1);
    expect(Array.from(a.data)).toEqual([0, 40, 80, 120, 160, 200]);
    // grey+alpha rows (filter 0): (grey, alpha) pairs
    const b = decodeImage(makePng(3, 2, 4, 8, Uint8Array.of(0, 0, 99, 40, 99, 80, 99, 0, 120, 99, 160, 99, 200, 99)));
    expect(b.channels).toBe(2);
    expect(Array.from(b.data)).toEqual([0, 99, 40, 99, 80, 99, 120, 99, 160, 99, 200, 99]);
  });
  it('16-bit grey is scaled to 8 bits', () => {
    // one row, two pixels: 0xFFFF and 0x8080; filter byte 0
    const img = decodeImage(makePng(2, 1, 0, 16, Uint8Array.of(0, 0xff, 0xff, 0x80, 0x80)));
    expect(img.channels).toBe(1);
    expect(Array.from(img.data)).toEqual([255, 128]);
  });
  it('palette → RGB (and RGBA with tRNS)', () => {
    const plte = Uint8Array.of(255, 0, 0, 0, 255, 0, 0, 0, 255);
    const rows = Uint8Array.of(0, 0, 1, 2);
    const img = decodeImage(makePng(3, 1, 3, 8, rows, [['PLTE', plte]]));
    expect(img.channels).toBe(3);
    expect(Array.from(img.data)).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255]);
    const t = decodeImage(makePng(3, 1, 3, 8, rows, [['PLTE', plte], ['tRNS', Uint8Array.of(0, 128)]]));
    expect(t.channels).toBe(4);
    expect(Array.from(t.data)).toEqual([255, 0, 0, 0, 0, 255, 0, 128, 0, 0, 255, 255]);
  });
  it('sniffs by magic bytes, not by name', () => {
    const bytes = encodePng(W, H, rgba, 2);
    expect(sniffImage(bytes)).toBe('png');
    expect(decodeImage(bytes, 'photo.jpg').channels).toBe(3);
  });
});

describe('JPEG (jpeg-js)', () => {
  const w = 16;
  const h = 8;
  const solid = new Uint8Array(w * h * 4).map((_, i) => [200, 100, 50, 255][i % 4]);
  const jpg = new Uint8Array(jpeg.encode({ width: w, height: h, data: solid }, 95).data);
  it('decodes to RGB, values close to the encoded ones', () => {
    const img = decodeImage(jpg, 'x.png');
    expect([img.width, img.height, img.channels]).toEqual([w, h, 3]);
    for (let i = 0; i < w * h; i++) {
      expect(Math.abs(img.data[i * 3] - 200)).toBeLessThanOrEqual(4);
      expect(Math.abs(img.data[i * 3 + 1] - 100)).toBeLessThanOrEqual(4);
      expect(Math.abs(img.data[i * 3 + 2] - 50)).toBeLessThanOrEqual(4);
    }
  });
  it('truncated JPEG → ImageDecodeError naming the file', () => {
    expectThrows(() => decodeImage(jpg.subarray(0, jpg.length >> 1), 'cut.jpg'), ImageDecodeError, /^cut\.jpg: /);
  });
  it('resolution limit is enforced', () => {
    expectThrows(() => decodeImage(jpg, 'big.jpg', { maxResolutionInMP: 0.0001 }), ImageDecodeError, /^big\.jpg: image of \d+x\d+ \([\d.]+ MP\) exceeds the 0\.0001 MP limit$/);
  });
});

describe('hostile inputs', () => {
  const expectDecodeError = (bytes: Uint8Array, re: RegExp) => {
    let err: unknown;
    try {
      decodeImage(bytes, 'evil.img');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect((err as Error).name).toBe('ImageDecodeError');
    expect((err as Error).message).toMatch(/^evil\.img: /);
    expect((err as Error).message).toMatch(re);
  };
  it('PNG claiming 30000×30000 is refused before decoding', () => {
    const bytes = makePng(30000, 30000, 2, 8, Uint8Array.of(0, 1, 2, 3));
    const t = performance.now();
    expectDecodeError(bytes, /30000x30000.*exceeds/);
    expect(performance.now() - t).toBeLessThan(200);
  });
  it('truncated PNG', () => {
    const png = encodePng(W, H, rgba, 6);
    expectDecodeError(png.subarray(0, png.length - 20), /PNG/);
    expectDecodeError(png.subarray(0, 20), /truncated/);
  });
  it('PNG with zero width or a bad bit depth', () => {
    expectDecodeError(makePng(0, 5, 2, 8, Uint8Array.of(0)), /no pixels/);
    expectDecodeError(makePng(1, 1, 2, 4, Uint8Array.of(0, 0)), /bit depth/);
  });
  it('PNG with a corrupt IDAT', () => {
    const png = Buffer.from(encodePng(W, H, rgba, 6));
    const at = png.indexOf('IDAT') + 6;
    png[at] ^= 0xff;
    png[at + 1] ^= 0xff;
    expectDecodeError(png, /PNG/);
  });
  it('garbage, empty, GIF and HTML', () => {
    expectDecodeError(Uint8Array.from({ length: 100 }, (_, i) => (i * 97) % 256), /not a PNG or JPEG/);
    expectDecodeError(new Uint8Array(0), /empty/);
    expectDecodeError(new TextEncoder().encode('GIF89a......'), /GIF/);
    expectDecodeError(new TextEncoder().encode('<!doctype html><html></html>'), /HTML/);
    expectDecodeError(Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 0x10), /JPEG/);
  });
  it('missing file → ImageDecodeError naming it', async () => {
    await expect(readImageFile('/nonexistent/x.png')).rejects.toThrow(/\/nonexistent\/x\.png: cannot read image \(no such file\)/);
  });
});
