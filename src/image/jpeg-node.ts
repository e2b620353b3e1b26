// JPEG decoding in Node with libjpeg-turbo's decoder (mozjpeg via @jsquash/jpeg's WASM build),
// so Node sees exactly the RGB bytes a browser's createImageBitmap gives.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import jpeg from 'jpeg-js';
import { ImageDecodeError } from '../errors.js';
import type { RawImage } from '../types.js';

interface Emscripten {
  decode(bytes: Uint8Array, preserveOrientation: boolean): { width: number; height: number; data: Uint8ClampedArray } | null;
}
type Factory = (opts: Record<string, unknown>) => Promise<Emscripten>;

const require = createRequire(import.meta.url);
const wasmModule = new WebAssembly.Module(readFileSync(require.resolve('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm')));
const factory = ((await import('@jsquash/jpeg/codec/dec/mozjpeg_dec.js')) as unknown as { default: Factory }).default;

/** libjpeg's warnings and errors for the decode in progress (a warning such as "Premature end
 * of JPEG file" still returns a grey-filled picture: we refuse it, as Pillow does). */
let messages: string[] = [];
const instantiate = () =>
  factory({
    noInitialRun: true,
    print: (m: string) => messages.push(m),
    printErr: (m: string) => messages.push(m),
    instantiateWasm: (imports: WebAssembly.Imports, done: (i: WebAssembly.Instance) => void) => {
      const instance = new WebAssembly.Instance(wasmModule, imports);
      done(instance);
      return instance.exports;
    },
  });
let codec = await instantiate();

export interface JpegHeader {
  width: number;
  height: number;
  components: number;
  /** EXIF orientation 1–8 (1 when absent). */
  orientation: number;
  /** An Adobe APP14 marker says the 4 components are CMYK/YCCK. */
  adobe: boolean;
}

/** Walks the markers up to the first SOF: size, component count, EXIF orientation. */
export function readJpegHeader(bytes: Uint8Array, name: string): JpegHeader {
  let orientation = 1;
  let adobe = false;
  for (let o = 2; o + 4 <= bytes.length; ) {
    if (bytes[o] !== 0xff) throw new ImageDecodeError(`${name}: corrupt JPEG (no marker at byte ${o})`);
    const marker = bytes[o + 1];
    if (marker === 0xff) {
      o++;
      continue;
    }
    const len = (bytes[o + 2] << 8) | bytes[o + 3];
    if (len < 2) throw new ImageDecodeError(`${name}: corrupt JPEG (segment of length ${len} at byte ${o})`);
    const body = bytes.subarray(o + 4, Math.min(bytes.length, o + 2 + len));
    if (marker === 0xe1) orientation = exifOrientation(body) ?? orientation;
    if (marker === 0xee && String.fromCharCode(...body.subarray(0, 5)) === 'Adobe') adobe = true;
    const sof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (sof) {
      if (body.length < 6) break;
      return { height: (body[1] << 8) | body[2], width: (body[3] << 8) | body[4], components: body[5], orientation, adobe };
    }
    if (marker === 0xda) break;
    o += 2 + len;
  }
  throw new ImageDecodeError(`${name}: corrupt or truncated JPEG (no frame header)`);
}

/** The Orientation tag (0x0112) of an APP1 Exif body, or null. */
function exifOrientation(b: Uint8Array): number | null {
  if (b.length < 14 || String.fromCharCode(...b.subarray(0, 4)) !== 'Exif') return null;
  const t = b.subarray(6);
  const dv = new DataView(t.buffer, t.byteOffset, t.byteLength);
  const le = t[0] === 0x49 && t[1] === 0x49;
  if (!le && !(t[0] === 0x4d && t[1] === 0x4d)) return null;
  const ifd = dv.getUint32(4, le);
  if (ifd + 2 > t.length) return null;
  const n = dv.getUint16(ifd, le);
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > t.length) return null;
    if (dv.getUint16(e, le) === 0x0112) {
      const v = dv.getUint16(e + 8, le);
      return v >= 1 && v <= 8 ? v : null;
    }
  }
  return null;
}

// libjpeg-turbo is the decoder Chromium, Firefox, WebKit and Pillow link, with their defaults (islow IDCT, fancy
// upsampling), so Node sees exactly the RGB bytes a browser's createImageBitmap gives.
// jpeg-js, used before, differed by ±1 on some pixels (bench/results/code-notes.md): enough to flip a binarized net.
// Only CMYK/YCCK JPEGs, which libjpeg-turbo cannot turn into RGB, still go through jpeg-js.
/**
 * Decodes a JPEG to RGB. EXIF orientation is applied as browsers apply it by default
 * (createImageBitmap's imageOrientation 'from-image', <img>): the result is upright.
 */
export function decodeJpeg(bytes: Uint8Array, name: string, maxMP: number, maxMB: number): RawImage {
  const h = readJpegHeader(bytes, name);
  if (!h.width || !h.height) throw new ImageDecodeError(`${name}: JPEG has no pixels (${h.width}x${h.height})`);
  if (h.width * h.height > maxMP * 1e6)
    throw new ImageDecodeError(
      `${name}: image of ${h.width}x${h.height} (${((h.width * h.height) / 1e6).toFixed(1)} MP) exceeds the ${maxMP} MP limit`,
    );
  const img = h.components === 4 ? decodeCmyk(bytes, name, maxMP, maxMB) : decodeTurbo(bytes, name);
  return orient(img, h.orientation);
}

function decodeTurbo(bytes: Uint8Array, name: string): RawImage {
  messages = [];
  let out: ReturnType<Emscripten['decode']>;
  try {
    out = codec.decode(bytes, false); // raw stored orientation: orient() below applies EXIF
  } catch (e) {
    // libjpeg's error_exit calls exit(): start a fresh instance for the next image.
    void instantiate().then((c) => (codec = c));
    throw new ImageDecodeError(`${name}: corrupt JPEG: ${messages.join('; ') || (e as Error).message}`);
  }
  if (!out || messages.length > 0) throw new ImageDecodeError(`${name}: corrupt or truncated JPEG: ${messages.join('; ') || 'no image data'}`);
  const { width, height, data } = out;
  const n = width * height;
  const rgb = new Uint8Array(n * 3);
  for (let i = 0, s = 0, d = 0; i < n; i++, s += 4, d += 3) {
    rgb[d] = data[s];
    rgb[d + 1] = data[s + 1];
    rgb[d + 2] = data[s + 2];
  }
  return { width, height, channels: 3, data: rgb };
}

function decodeCmyk(bytes: Uint8Array, name: string, maxMP: number, maxMB: number): RawImage {
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false, maxResolutionInMP: maxMP, maxMemoryUsageInMB: maxMB });
  if (!img.width || !img.height || img.data.length !== img.width * img.height * 3)
    throw new ImageDecodeError(`${name}: corrupt JPEG (no image data)`);
  return { width: img.width, height: img.height, channels: 3, data: img.data };
}

/** Applies EXIF orientation 2–8 (mirror and/or rotate) to interleaved pixels. */
export function orient(img: RawImage, o: number): RawImage {
  if (o <= 1 || o > 8) return img;
  const { width: w, height: h, channels: c, data } = img;
  const swap = o >= 5;
  const W = swap ? h : w;
  const H = swap ? w : h;
  const out = new Uint8Array(w * h * c);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      // (sx, sy): the stored pixel shown at (x, y), per the EXIF 2.3 table.
      let sx: number;
      let sy: number;
      switch (o) {
        case 2: [sx, sy] = [w - 1 - x, y]; break;
        case 3: [sx, sy] = [w - 1 - x, h - 1 - y]; break;
        case 4: [sx, sy] = [x, h - 1 - y]; break;
        case 5: [sx, sy] = [y, x]; break;
        case 6: [sx, sy] = [y, h - 1 - x]; break;
        case 7: [sx, sy] = [w - 1 - y, h - 1 - x]; break;
        default: [sx, sy] = [w - 1 - y, x]; break;
      }
      const s = (sy * w + sx) * c;
      const d = (y * W + x) * c;
      for (let k = 0; k < c; k++) out[d + k] = data[s + k];
    }
  return { width: W, height: H, channels: c, data: out };
}
