// A fake-camera video for Chromium (--use-file-for-fake-video-capture=<file.y4m>): a PNG
// decoded with pngjs, scaled to cover a W×H frame (centred; the excess long side cropped),
// converted to 4:2:0 YCbCr (BT.601) and written as a few identical YUV4MPEG2 frames.
import { readFileSync, writeFileSync } from 'node:fs';
import pngjs from 'pngjs';

export interface Rgb {
  width: number;
  height: number;
  /** Interleaved RGB, 3 bytes a pixel. */
  data: Uint8Array;
}

export function readPngRgb(path: string): Rgb {
  const png = pngjs.PNG.sync.read(readFileSync(path)); // always RGBA 8-bit
  const { width, height } = png;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    data[i * 3] = png.data[i * 4];
    data[i * 3 + 1] = png.data[i * 4 + 1];
    data[i * 3 + 2] = png.data[i * 4 + 2];
  }
  return { width, height, data };
}

/**
 * `src` scaled (bilinear, half-pixel centres) by max(W/w, H/h) so that it covers W×H, centred:
 * the frame shows the middle of the image, as the ImageNet centre crop of a camera frame does.
 */
export function coverFrame(src: Rgb, W: number, H: number): Rgb {
  const s = Math.max(W / src.width, H / src.height);
  const offX = (src.width * s - W) / 2;
  const offY = (src.height * s - H) / 2;
  const out = new Uint8Array(W * H * 3);
  const clamp = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
  for (let y = 0; y < H; y++) {
    const sy = clamp((y + 0.5 + offY) / s - 0.5, src.height - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, src.height - 1);
    const fy = sy - y0;
    for (let x = 0; x < W; x++) {
      const sx = clamp((x + 0.5 + offX) / s - 0.5, src.width - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, src.width - 1);
      const fx = sx - x0;
      for (let c = 0; c < 3; c++) {
        const p = (yy: number, xx: number) => src.data[(yy * src.width + xx) * 3 + c];
        const top = p(y0, x0) * (1 - fx) + p(y0, x1) * fx;
        const bot = p(y1, x0) * (1 - fx) + p(y1, x1) * fx;
        out[(y * W + x) * 3 + c] = Math.round(top * (1 - fy) + bot * fy);
      }
    }
  }
  return { width: W, height: H, data: out };
}

/**
 * RGB → planar I420 with BT.601 coefficients in "studio" range (Y 16–235, Cb/Cr 16–240), which
 * is how Chromium reads an I420 frame that carries no colour-space information. Chroma is the
 * mean of each 2×2 block. W and H must be even.
 */
export function rgbToI420(img: Rgb): Uint8Array {
  const { width: W, height: H, data } = img;
  if (W % 2 || H % 2) throw new Error(`4:2:0 needs an even size, got ${W}×${H}`);
  const out = new Uint8Array((W * H * 3) / 2);
  const u0 = W * H;
  const v0 = u0 + (W * H) / 4;
  const byte = (v: number) => Math.min(255, Math.max(0, Math.round(v)));
  for (let i = 0; i < W * H; i++) {
    const [r, g, b] = [data[i * 3], data[i * 3 + 1], data[i * 3 + 2]];
    out[i] = byte(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255);
  }
  for (let y = 0; y < H; y += 2)
    for (let x = 0; x < W; x += 2) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
        const i = ((y + dy) * W + x + dx) * 3;
        r += data[i] / 4;
        g += data[i + 1] / 4;
        b += data[i + 2] / 4;
      }
      const j = (y / 2) * (W / 2) + x / 2;
      out[u0 + j] = byte(128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255);
      out[v0 + j] = byte(128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255);
    }
  return out;
}

/** A YUV4MPEG2 file (C420jpeg, progressive, square pixels) of `frames` copies of `img`. */
export function writeY4m(path: string, img: Rgb, opts: { fps?: number; frames?: number } = {}): void {
  const fps = opts.fps ?? 30;
  const frames = opts.frames ?? 5;
  const header = Buffer.from(`YUV4MPEG2 W${img.width} H${img.height} F${fps}:1 Ip A1:1 C420jpeg\n`, 'latin1');
  const frameHeader = Buffer.from('FRAME\n', 'latin1');
  const planes = rgbToI420(img);
  const parts: Uint8Array[] = [header];
  for (let i = 0; i < frames; i++) parts.push(frameHeader, planes);
  writeFileSync(path, Buffer.concat(parts));
}

/** The launch arguments that make Chromium's only camera play `y4m` (permission auto-granted). */
export function fakeCameraArgs(y4m: string): string[] {
  return ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${y4m}`];
}
