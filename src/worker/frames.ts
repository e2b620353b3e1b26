// Turning images into pixels. Main-thread side: any accepted input → a transferable Frame.
// Worker side (or this thread, for a session with workers: 0): a Frame → a RawImage.

import { ImageDecodeError, InputError } from '../errors.js';
import type { RawImage } from '../types.js';
import type { Frame } from './protocol.js';

/** Everything Session.classify accepts, on this thread or in workers. */
export type ImageInput =
  | ImageBitmap
  | ImageData
  | HTMLVideoElement
  | HTMLCanvasElement
  | HTMLImageElement
  | OffscreenCanvas
  | VideoFrame
  | Blob
  | RawImage;

// Raw pixels exactly as stored: no colour-profile or gamma conversion, EXIF orientation applied
// (the default), as src/image/decode-node.ts decodes them in Node: the same bytes both sides.
const BITMAP_OPTS: ImageBitmapOptions = { colorSpaceConversion: 'none', premultiplyAlpha: 'none' };

const has = (name: string) => typeof (globalThis as Record<string, unknown>)[name] === 'function';
const isA = <T>(v: unknown, name: string): v is T =>
  has(name) && v instanceof ((globalThis as Record<string, unknown>)[name] as new () => T);

function isRawImage(v: unknown): v is RawImage {
  const r = v as RawImage;
  return !!r && typeof r === 'object' && typeof r.width === 'number' && typeof r.channels === 'number' &&
    (r.data instanceof Uint8Array || r.data instanceof Uint8ClampedArray);
}

/**
 * Snapshots `input` as a Frame plus what to transfer. The pixels of an element (video,
 * canvas, img) are captured now, as an ImageBitmap. A given ImageBitmap is transferred (closed
 * here); ImageData's / a RawImage's buffer is transferred too when `transfer` is true (the
 * caller's object is then empty), else copied.
 */
export async function toFrame(input: ImageInput, transfer = true): Promise<{ frame: Frame; transfer: Transferable[] }> {
  if (isA<ImageBitmap>(input, 'ImageBitmap')) return { frame: { kind: 'bitmap', bitmap: input }, transfer: [input] };
  if (isA<Blob>(input, 'Blob')) return { frame: { kind: 'blob', blob: input }, transfer: [] };
  if (isA<ImageData>(input, 'ImageData') || isRawImage(input)) {
    const channels = isRawImage(input) ? input.channels : 4;
    let data = input.data;
    if (data.buffer.byteLength === 0 && input.width * input.height > 0)
      throw new InputError(
        'these pixels were already transferred to a worker by an earlier classify(); pass { transfer: false } to send a copy instead',
      );
    if (!transfer || data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength) data = data.slice();
    return {
      frame: { kind: 'pixels', width: input.width, height: input.height, channels, data },
      transfer: [data.buffer as ArrayBuffer],
    };
  }
  if (isA<HTMLImageElement>(input, 'HTMLImageElement')) {
    if (!input.complete) await input.decode().catch(() => undefined);
    if (!input.naturalWidth) throw new ImageDecodeError(`image ${input.currentSrc || input.src} is not loaded or broken`);
  }
  if (isA<HTMLVideoElement>(input, 'HTMLVideoElement') && (input.readyState < 2 || !input.videoWidth))
    throw new InputError('the video has no frame yet (readyState < HAVE_CURRENT_DATA)');
  if (
    isA(input, 'HTMLImageElement') || isA(input, 'HTMLVideoElement') || isA(input, 'HTMLCanvasElement') ||
    isA(input, 'OffscreenCanvas') || isA(input, 'VideoFrame')
  ) {
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(input as ImageBitmapSource, BITMAP_OPTS);
    } catch (e) {
      throw new ImageDecodeError(`cannot read pixels: ${(e as Error).message}`);
    }
    return { frame: { kind: 'bitmap', bitmap }, transfer: [bitmap] };
  }
  throw new InputError(
    'classify() takes an ImageBitmap, ImageData, HTMLVideoElement, HTMLCanvasElement, HTMLImageElement, OffscreenCanvas, VideoFrame, Blob or RawImage',
  );
}

let canvas: OffscreenCanvas | null = null;
let ctx: OffscreenCanvasRenderingContext2D | null = null;

/** Pixels of a bitmap via one reused OffscreenCanvas; closes the bitmap. */
function bitmapPixels(bitmap: ImageBitmap): RawImage {
  const { width, height } = bitmap;
  try {
    if (!width || !height) throw new ImageDecodeError('image has no pixels');
    if (!canvas || !ctx) {
      canvas = new OffscreenCanvas(width, height);
      ctx = canvas.getContext('2d', { willReadFrequently: true });
      if (!ctx) throw new ImageDecodeError('no 2D context on OffscreenCanvas');
    } else if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width; // resizing also clears it
      canvas.height = height;
    } else ctx.clearRect(0, 0, width, height);
    ctx.drawImage(bitmap, 0, 0);
    const img = ctx.getImageData(0, 0, width, height);
    return { width, height, channels: 4, data: img.data };
  } finally {
    bitmap.close();
  }
}

/** A Frame's pixels (decoding a Blob with createImageBitmap). */
export async function frameToRawImage(frame: Frame): Promise<RawImage> {
  switch (frame.kind) {
    case 'pixels':
      return { width: frame.width, height: frame.height, channels: frame.channels, data: frame.data };
    case 'bitmap':
      return bitmapPixels(frame.bitmap);
    case 'blob': {
      if (!has('createImageBitmap'))
        throw new ImageDecodeError('a Blob is decoded with createImageBitmap, which this engine lacks (in Node, decode the file first and pass a RawImage)');
      let bitmap: ImageBitmap;
      try {
        bitmap = await createImageBitmap(frame.blob, BITMAP_OPTS);
      } catch (e) {
        throw new ImageDecodeError(`cannot decode image (${frame.blob.type || 'unknown type'}, ${frame.blob.size} bytes): ${(e as Error).message}`);
      }
      return bitmapPixels(bitmap);
    }
    default:
      throw new InputError(`unknown frame kind ${(frame as { kind: string }).kind}`);
  }
}
