// Image → input tensor, exactly as a model's metadata (ModelInfo.input + .preprocess) says
// (the steps: preprocessImage). Platform-neutral: no DOM, no Node APIs.

import { InputError, ModelFormatError } from '../errors.js';
import type { InputSpec, Preprocess, RawImage, Tensor } from '../types.js';

/** What preprocessImage needs of a model's metadata (a ModelInfo is one). */
export interface PreprocessSpec {
  /** The input the tensor must match (shape, colour order, value range). */
  input: InputSpec;
  /** Resize, crop and normalisation, applied in that order. */
  preprocess: Preprocess;
}

/** Checks a RawImage's fields and buffer length; throws InputError. */
export function checkImage(img: RawImage): void {
  const { width, height, channels, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0)
    throw new InputError(`image has no pixels: ${width}x${height}`);
  if (![1, 2, 3, 4].includes(channels)) throw new InputError(`image channels must be 1, 2, 3 or 4, got ${channels}`);
  if (!data || data.length !== width * height * channels)
    throw new InputError(
      `image data has ${data?.length ?? 0} bytes, expected ${width}x${height}x${channels} = ${width * height * channels}`,
    );
}

/** Step 1: the image as interleaved 8-bit pixels with `outC` channels (3 = RGB, 1 = GRAY). */
export function convertColor(img: RawImage, outC: 1 | 3): Uint8Array {
  checkImage(img);
  const { width, height, channels: c, data } = img;
  const n = width * height;
  if (c === outC) return data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint8Array(n * outC);
  const colour = c >= 3; // 3 or 4: RGB(A); 1 or 2: grey(+alpha)
  for (let i = 0; i < n; i++) {
    const s = i * c;
    if (outC === 3) {
      const d = i * 3;
      if (colour) {
        out[d] = data[s];
        out[d + 1] = data[s + 1];
        out[d + 2] = data[s + 2];
      } else {
        out[d] = out[d + 1] = out[d + 2] = data[s];
      }
    } else {
      out[i] = colour ? (data[s] * 19595 + data[s + 1] * 38470 + data[s + 2] * 7471 + 0x8000) >>> 16 : data[s];
    }
  }
  return out;
}

/** The resized size for a short-side target: [height, width]. */
export function resizedSize(width: number, height: number, shortSide: number): [number, number] {
  if (width <= height) return [Math.max(1, Math.round((height * shortSide) / width)), shortSide];
  return [shortSide, Math.max(1, Math.round((width * shortSide) / height))];
}

const PRECISION_BITS = 22; // Pillow: 32 − 8 − 2
const ONE = 2 ** PRECISION_BITS;

interface Taps {
  /** First source index of each output's taps. */
  start: Int32Array;
  /** Tap count of each output. */
  count: Int32Array;
  /** `ksize` fixed-point weights per output. */
  k: Float64Array;
  ksize: number;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the bilinear (triangle) filter. */
export function bilinearTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 1 * filterscale;
  const ss = 1 / filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const k = new Float64Array(outSize * ksize);
  const w = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * ss);
      w[x] = t < 1 ? 1 - t : 0;
      ww += w[x];
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? w[x] / ww : w[x];
      k[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    start[xx] = xmin;
    count[xx] = Math.max(0, xmax);
  }
  return { start, count, k, ksize };
}

const clip8 = (v: number) => (v <= 0 ? 0 : v >= ONE * 256 ? 255 : Math.floor(v / ONE));

/**
 * Steps 2–3 on interleaved 8-bit pixels: resize a (inW × inH × c) image to (rw × rh) and
 * return only the window [top, top+oh) × [left, left+ow). An axis whose size does not change
 * is not filtered (as in Pillow); when neither changes the window is copied.
 */
export function resizeCrop(
  src: Uint8Array,
  inW: number,
  inH: number,
  c: number,
  rw: number,
  rh: number,
  crop: { top: number; left: number; height: number; width: number },
): Uint8Array {
  const { top, left, height: oh, width: ow } = crop;
  const hx = rw !== inW ? bilinearTaps(inW, rw) : null;
  const vy = rh !== inH ? bilinearTaps(inH, rh) : null;
  // Source rows the vertical pass reads.
  let r0 = top;
  let r1 = top + oh;
  if (vy) {
    r0 = vy.start[top];
    r1 = 0;
    for (let y = top; y < top + oh; y++) r1 = Math.max(r1, vy.start[y] + vy.count[y]);
  }
  // Horizontal pass over rows [r0, r1), crop columns only.
  const tmp = new Uint8Array((r1 - r0) * ow * c);
  for (let y = r0; y < r1; y++) {
    const srow = y * inW * c;
    const trow = (y - r0) * ow * c;
    if (!hx) {
      tmp.set(src.subarray(srow + left * c, srow + (left + ow) * c), trow);
      continue;
    }
    for (let x = 0; x < ow; x++) {
      const xx = left + x;
      const x0 = hx.start[xx];
      const n = hx.count[xx];
      const kb = xx * hx.ksize;
      for (let ch = 0; ch < c; ch++) {
        let ss = ONE / 2;
        for (let i = 0; i < n; i++) ss += src[srow + (x0 + i) * c + ch] * hx.k[kb + i];
        tmp[trow + x * c + ch] = clip8(ss);
      }
    }
  }
  if (!vy) return r0 === top && r1 === top + oh ? tmp : tmp.slice((top - r0) * ow * c, (top - r0 + oh) * ow * c);
  const out = new Uint8Array(oh * ow * c);
  const rowLen = ow * c;
  for (let y = 0; y < oh; y++) {
    const yy = top + y;
    const y0 = vy.start[yy] - r0;
    const n = vy.count[yy];
    const kb = yy * vy.ksize;
    for (let j = 0; j < rowLen; j++) {
      let ss = ONE / 2;
      for (let i = 0; i < n; i++) ss += tmp[(y0 + i) * rowLen + j] * vy.k[kb + i];
      out[y * rowLen + j] = clip8(ss);
    }
  }
  return out;
}

/** How an image that is not the model's input size is handled (one default everywhere: CLI,
 * Model.classify, the worker, the demo and the widget). */
export type Fit = 'auto' | 'strict';

/**
 * The preprocessing for `img`: the model's own, except that with fit 'auto' a model that
 * declares no resize (e.g. CIFAR-10: exactly 32×32 in) gets any other image size scaled so its
 * short side fits the input, then centre-cropped — so camera frames and photos work. 'strict'
 * keeps the model's own (an image of another size is an InputError there).
 */
export function fitSpec<T extends PreprocessSpec>(spec: T, img: RawImage, fit: Fit = 'auto'): T {
  const [, H, W] = spec.input.shape;
  const pp = spec.preprocess;
  if (fit === 'strict' || pp.resizeShortSide != null || pp.centerCrop != null || (img.width === W && img.height === H)) return spec;
  return { ...spec, preprocess: { ...pp, resizeShortSide: Math.max(H, W), centerCrop: [H, W] } };
}

/**
 * Image → model input tensor, NHWC [1, H, W, C]; its H×W must equal the model's declared input,
 * otherwise InputError. Steps, in this order (8-bit integers until step 4, as Pillow does them):
 *  1. Colour: the colour channels are taken as they are; alpha is ignored (not composited).
 *     Grey → RGB replicates the grey value; RGB → GRAY is Pillow's convert('L'):
 *     (R·19595 + G·38470 + B·7471 + 32768) >> 16 (ITU-R 601-2 luma).
 *  2. Resize so that the short side equals `resizeShortSide`; the long side becomes
 *     round(long · target / short). Exactly Pillow's Image.resize(BILINEAR): a triangle filter
 *     over half-pixel centres, center = (d + 0.5) · in/out, whose support widens by in/out when
 *     downscaling (antialiasing), weights normalised over the taps inside the image, quantised
 *     to 22 fractional bits; horizontal pass first, each pass rounded to 8 bits. Binarized nets
 *     are sensitive to it: shared/models/bmxnet/REFERENCE.md's chelsea.png figures are
 *     reproduced only by this resampling. An image whose short side already equals the target
 *     is not resampled.
 *  3. Centre crop [h, w] at offset floor((W − w) / 2), floor((H − h) / 2) (fused with step 2:
 *     only the pixels inside the crop are computed).
 *  4. Scale 0–255 to valueRange [lo, hi]: v = lo + x · (hi − lo) / 255 (in float).
 *  5. Normalise per channel: (v − mean[c]) / std[c] (a one-element mean/std applies to all).
 */
export function preprocessImage(img: RawImage, spec: PreprocessSpec): Tensor {
  checkImage(img);
  const { input, preprocess: pp } = spec;
  const [, H, W, C] = input.shape;
  const wantC = input.colorOrder === 'GRAY' ? 1 : 3;
  if (input.shape.length !== 4 || C !== wantC)
    throw new ModelFormatError(
      `model input shape [${input.shape.join(',')}] does not fit colour order ${input.colorOrder} (expected [1,H,W,${wantC}])`,
    );

  const px = convertColor(img, wantC);
  let rw = img.width;
  let rh = img.height;
  const target = pp.resizeShortSide;
  if (target != null) {
    if (!(Number.isInteger(target) && target > 0)) throw new ModelFormatError(`resizeShortSide must be a positive integer, got ${target}`);
    if (Math.min(img.width, img.height) !== target) [rh, rw] = resizedSize(img.width, img.height, target);
  }
  const [ch, cw] = pp.centerCrop ?? [rh, rw];
  if (ch > rh || cw > rw)
    throw new InputError(`image of ${rw}x${rh} (after resizing) is smaller than the ${cw}x${ch} centre crop`);
  if (ch !== H || cw !== W)
    throw new InputError(
      `image of ${img.width}x${img.height} gives ${cw}x${ch} after preprocessing, but the model takes ${W}x${H}` +
        (target == null && pp.centerCrop == null ? ' (this model does not resize: give it images of that size)' : ''),
    );
  const crop = { top: Math.floor((rh - ch) / 2), left: Math.floor((rw - cw) / 2), height: ch, width: cw };
  const px8 = resizeCrop(px, img.width, img.height, wantC, rw, rh, crop);
  const data = Float32Array.from(px8);
  normalise(data, wantC, input.valueRange, pp.mean, pp.std);
  return { shape: [1, H, W, C], data };
}

/** Steps 4–5 in place. */
export function normalise(data: Float32Array, c: number, range: [number, number], mean: number[], std: number[]): void {
  const pick = (v: number[], what: string, dflt: number) => {
    if (!v || v.length === 0) return new Array<number>(c).fill(dflt);
    if (v.length === 1) return new Array<number>(c).fill(v[0]);
    if (v.length !== c) throw new ModelFormatError(`preprocess ${what} has ${v.length} values for ${c} channels`);
    return v;
  };
  const m = pick(mean, 'mean', 0);
  const s = pick(std, 'std', 1);
  if (s.some((x) => !(x !== 0 && Number.isFinite(x)))) throw new ModelFormatError(`preprocess std must be finite and non-zero`);
  const [lo, hi] = range;
  const k = (hi - lo) / 255;
  const identity = lo === 0 && hi === 255 && m.every((x) => x === 0) && s.every((x) => x === 1);
  if (identity) return;
  for (let i = 0; i < data.length; i += c)
    for (let j = 0; j < c; j++) data[i + j] = (lo + data[i + j] * k - m[j]) / s[j];
}
