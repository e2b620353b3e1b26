// Image decoding in Node: PNG (pngjs) and JPEG (./jpeg-node.ts), recognised by magic bytes;
// the browser decodes with createImageBitmap/canvas to the same bytes (tests/image/pillow-parity).

import { readFile } from 'node:fs/promises';
import { inflateSync } from 'node:zlib';
import pngjs from 'pngjs';
import { ImageDecodeError } from '../errors.js';
import type { RawImage } from '../types.js';
import { decodeJpeg } from './jpeg-node.js';

export interface DecodeOptions {
  /** Largest accepted image, in megapixels (default 100). */
  maxResolutionInMP?: number;
  /** Memory cap for the JPEG decoder, in MB (default 512). */
  maxMemoryUsageInMB?: number;
}

export type ImageFormat = 'png' | 'jpeg';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Recognises the container from its first bytes; null when it is neither PNG nor JPEG. */
export function sniffImage(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 8 && PNG_MAGIC.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

function describeUnknown(bytes: Uint8Array): string {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 16));
  if (head.startsWith('GIF8')) return 'GIF images are not supported (use PNG or JPEG)';
  if (head.startsWith('RIFF') && head.slice(8, 12) === 'WEBP') return 'WebP images are not supported (use PNG or JPEG)';
  if (head.startsWith('BM')) return 'BMP images are not supported (use PNG or JPEG)';
  if (/^\s*</.test(head)) return 'this is text/HTML/XML, not an image';
  if (bytes.length === 0) return 'the file is empty';
  return 'not a PNG or JPEG image (unrecognised signature)';
}

// Output channels: PNG grey → 1, grey+alpha → 2, RGB and palette → 3, RGBA or palette with
// transparency → 4 (16-bit samples are scaled to 8 bits). JPEG → 3 (grey is expanded to RGB,
// CMYK/YCCK is converted to RGB by jpeg-js), upright per its EXIF orientation, as in browsers.
//
// Hostile input: the PNG IHDR is read and checked against `maxResolutionInMP` before pngjs
// allocates anything, and so is the JPEG frame header.
// Anything corrupt, truncated or unsupported throws ImageDecodeError naming the source.
/** Decodes PNG or JPEG bytes. `name` (a path or URL) is quoted in errors. */
export function decodeImage(bytes: Uint8Array, name = '<image>', opts: DecodeOptions = {}): RawImage {
  const maxMP = opts.maxResolutionInMP ?? 100;
  const fmt = sniffImage(bytes);
  if (fmt === null) throw new ImageDecodeError(`${name}: ${describeUnknown(bytes)}`);
  try {
    return fmt === 'png' ? decodePng(bytes, name, maxMP) : decodeJpeg(bytes, name, maxMP, opts.maxMemoryUsageInMB ?? 512);
  } catch (e) {
    if (e instanceof ImageDecodeError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new ImageDecodeError(`${name}: corrupt or truncated ${fmt === 'png' ? 'PNG' : 'JPEG'}: ${msg}`);
  }
}

/** Reads and decodes an image file. */
export async function readImageFile(path: string, opts: DecodeOptions = {}): Promise<RawImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new ImageDecodeError(`${path}: cannot read image (${why})`);
  }
  return decodeImage(bytes, path, opts);
}

/** Width and height from the IHDR chunk, validated, before any pixel memory is allocated. */
export function readPngHeader(bytes: Uint8Array, name = '<image>'): { width: number; height: number; depth: number; colorType: number } {
  if (bytes.length < 33) throw new ImageDecodeError(`${name}: truncated PNG (no complete IHDR chunk)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = dv.getUint32(8);
  const type = String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]);
  if (type !== 'IHDR' || len !== 13) throw new ImageDecodeError(`${name}: corrupt PNG (first chunk is not a valid IHDR)`);
  const width = dv.getUint32(16);
  const height = dv.getUint32(20);
  const depth = bytes[24];
  const colorType = bytes[25];
  if (width === 0 || height === 0) throw new ImageDecodeError(`${name}: PNG has no pixels (${width}x${height})`);
  const valid: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
  if (!valid[colorType]?.includes(depth))
    throw new ImageDecodeError(`${name}: corrupt PNG (colour type ${colorType} with bit depth ${depth})`);
  return { width, height, depth, colorType };
}

function checkSize(name: string, width: number, height: number, maxMP: number) {
  if (width * height > maxMP * 1e6)
    throw new ImageDecodeError(
      `${name}: image of ${width}x${height} (${((width * height) / 1e6).toFixed(1)} MP) exceeds the ${maxMP} MP limit`,
    );
}

/**
 * pngjs fills missing scanlines with zeros: a PNG whose IDAT is short (truncated, or a header
 * claiming a huge size over a few bytes of data) would decode "successfully" after allocating
 * the full claimed size. Inflate the IDAT stream first, capped at the size the header implies,
 * and refuse anything short.
 */
function checkIdat(bytes: Uint8Array, name: string, h: { width: number; height: number; depth: number; colorType: number }) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  const interlaced = bytes[28] === 1;
  for (let o = 8; o + 8 <= bytes.length; ) {
    const len = dv.getUint32(o);
    const type = String.fromCharCode(bytes[o + 4], bytes[o + 5], bytes[o + 6], bytes[o + 7]);
    if (type === 'IDAT') parts.push(bytes.subarray(o + 8, Math.min(bytes.length, o + 8 + len)));
    if (type === 'IEND') break;
    o += 12 + len;
  }
  const spp = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[h.colorType];
  const rowBytes = (w: number) => (w === 0 ? 0 : 1 + Math.ceil((w * spp * h.depth) / 8));
  let expected = 0;
  if (!interlaced) expected = h.height * rowBytes(h.width);
  else
    for (const [x0, y0, dx, dy] of [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]]) {
      const pw = Math.ceil((h.width - x0) / dx);
      const ph = Math.ceil((h.height - y0) / dy);
      if (pw > 0 && ph > 0) expected += ph * rowBytes(pw);
    }
  let got: number;
  try {
    got = inflateSync(Buffer.concat(parts), { maxOutputLength: Math.max(1, expected) }).length;
  } catch (e) {
    // Over the cap: more data than the header implies (pngjs ignores the excess), not short.
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return;
    throw new ImageDecodeError(`${name}: corrupt PNG (image data: ${(e as Error).message})`);
  }
  if (got < expected) throw new ImageDecodeError(`${name}: truncated PNG (image data has ${got} of ${expected} bytes)`);
}

function decodePng(bytes: Uint8Array, name: string, maxMP: number): RawImage {
  const h = readPngHeader(bytes, name);
  checkSize(name, h.width, h.height, maxMP);
  checkIdat(bytes, name, h);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const png = pngjs.PNG.sync.read(buf);
  const { width, height } = png;
  const rgba = png.data; // always 8-bit RGBA after pngjs
  if (rgba.length !== width * height * 4) throw new ImageDecodeError(`${name}: corrupt PNG (pixel data size mismatch)`);
  const grey = !png.color;
  const channels = (grey ? 1 : 3) + (png.alpha ? 1 : 0);
  if (channels === 4) return { width, height, channels: 4, data: new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.length) };
  const n = width * height;
  const data = new Uint8Array(n * channels);
  for (let i = 0, d = 0; i < n; i++) {
    const s = i * 4;
    if (grey) {
      data[d++] = rgba[s];
      if (png.alpha) data[d++] = rgba[s + 3];
    } else {
      data[d++] = rgba[s];
      data[d++] = rgba[s + 1];
      data[d++] = rgba[s + 2];
    }
  }
  return { width, height, channels: channels as 1 | 2 | 3, data };
}
