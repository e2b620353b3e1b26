import { describe, expect, it } from 'vitest';
import { InputError, ModelFormatError } from '../../src/errors.js';
import { convertColor, preprocessImage, resizeCrop, resizedSize } from '../../src/image/preprocess.js';
import type { InputSpec, Preprocess, RawImage } from '../../src/types.js';
import { expectThrows } from '../helpers/errors.js';

const grey = (width: number, height: number, px: number[]): RawImage => ({ width, height, channels: 1, data: Uint8Array.from(px) });

function spec(h: number, w: number, c: 1 | 3, pp: Partial<Preprocess> = {}, input: Partial<InputSpec> = {}) {
  return {
    input: { shape: [1, h, w, c], layout: 'NHWC' as const, colorOrder: c === 1 ? ('GRAY' as const) : ('RGB' as const), valueRange: [0, 255] as [number, number], ...input },
    preprocess: { resizeShortSide: null, centerCrop: null, mean: [], std: [], ...pp },
  };
}

describe('resize geometry', () => {
  it('short side to target, long side rounded', () => {
    expect(resizedSize(451, 300, 256)).toEqual([256, 385]); // [h, w]: round(451·256/300) = round(384.85)
    expect(resizedSize(300, 451, 256)).toEqual([385, 256]);
    expect(resizedSize(640, 427, 256)).toEqual([256, 384]); // 383.7
    expect(resizedSize(5, 5, 3)).toEqual([3, 3]);
  });
});

/**
 * An independent, slow statement of the documented filter: triangle over half-pixel centres,
 * support × max(1, in/out), weights normalised over in-image taps, horizontal pass first,
 * each pass rounded half up to 8 bits.
 */
function refResize(px: number[], w: number, h: number, ow: number, oh: number): number[] {
  const pass = (get: (i: number) => number, n: number, o: number) => {
    if (n === o) return Array.from({ length: n }, (_, i) => get(i));
    const scale = n / o;
    const fs = Math.max(1, scale);
    return Array.from({ length: o }, (_, d) => {
      const centre = (d + 0.5) * scale; // in pixel-edge coordinates; pixel i's centre is i + 0.5
      let acc = 0;
      let tot = 0;
      for (let i = 0; i < n; i++) {
        const wt = Math.max(0, 1 - Math.abs(i + 0.5 - centre) / fs);
        acc += wt * get(i);
        tot += wt;
      }
      return Math.floor(acc / tot + 0.5);
    });
  };
  const rows = Array.from({ length: h }, (_, y) => pass((i) => px[y * w + i], w, ow));
  const out: number[] = new Array(ow * oh);
  for (let x = 0; x < ow; x++) pass((i) => rows[i][x], h, oh).forEach((v, y) => (out[y * ow + x] = v));
  return out;
}

describe('bilinear resampling (Pillow BILINEAR)', () => {
  it('upsampling 2x2 → 4x4 is plain half-pixel bilinear, rounded per pass', () => {
    // x and y weights of the second pixel: 0, 0.25, 0.75, 1 (src = (d + 0.5)/2 − 0.5, clamped)
    const up = preprocessImage(grey(2, 2, [0, 100, 200, 50]), spec(4, 4, 1, { resizeShortSide: 4 })).data;
    // rows after the horizontal pass: [0, 25, 75, 100] and [200, 162.5→163, 87.5→88, 50]
    // vertical: y1 = .75·r0 + .25·r1, y2 = .25·r0 + .75·r1, rounded half up
    expect(Array.from(up)).toEqual([0, 25, 75, 100, 50, 60, 78, 88, 150, 129, 85, 63, 200, 163, 88, 50]);
    expect(Array.from(up)).toEqual(refResize([0, 100, 200, 50], 2, 2, 4, 4));
  });

  it('downsampling antialiases: 4 → 2 weights 3/7, 3/7, 1/7', () => {
    // centre of output 0 is 1.0 (edge coordinates), support 2: taps 0,1,2 with 0.75, 0.75, 0.25
    const ramp = grey(4, 2, [0, 10, 20, 30, 0, 10, 20, 30]);
    const d = preprocessImage(ramp, spec(1, 2, 1, { resizeShortSide: 1 }));
    expect(d.shape).toEqual([1, 1, 2, 1]);
    // vertical 2 → 1 averages two equal rows; horizontal: (0·3 + 10·3 + 20)/7 = 7.14 → 7; (10 + 20·3 + 30·3)/7 = 22.86 → 23
    expect(Array.from(d.data)).toEqual([7, 23]);
  });

  it('matches the independent statement on odd sizes, up and down', () => {
    const w = 13;
    const h = 9;
    const px = Array.from({ length: w * h }, (_, i) => (i * 7919 + (i >> 3) * 31) % 256);
    for (const target of [4, 6, 7, 12, 20]) {
      const [rh, rw] = [target, Math.round((w * target) / h)];
      const got = preprocessImage(grey(w, h, px), spec(rh, rw, 1, { resizeShortSide: target })).data;
      expect(Array.from(got), `short side ${target}`).toEqual(refResize(px, w, h, rw, rh));
    }
  });

  it('non-square: centre crop of the resized image', () => {
    // 6×4 → short side 2 → 3×2; crop 2×2 at left floor((3−2)/2) = 0, top 0
    const px = Array.from({ length: 24 }, (_, i) => (i % 6) * 10 + Math.floor(i / 6) * 40);
    const full = preprocessImage(grey(6, 4, px), spec(2, 3, 1, { resizeShortSide: 2 })).data;
    expect(Array.from(full)).toEqual(refResize(px, 6, 4, 3, 2));
    const cropped = preprocessImage(grey(6, 4, px), spec(2, 2, 1, { resizeShortSide: 2, centerCrop: [2, 2] })).data;
    expect(Array.from(cropped)).toEqual([full[0], full[1], full[3], full[4]]);
  });

  it('fused resize+crop equals resize then crop (RGB)', () => {
    const w = 13;
    const h = 9;
    const src = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 7919) % 255);
    const [rh, rw] = resizedSize(w, h, 6);
    const all = resizeCrop(src, w, h, 3, rw, rh, { top: 0, left: 0, height: rh, width: rw });
    for (const crop of [
      { top: 1, left: Math.floor((rw - 4) / 2), height: 4, width: 4 },
      { top: 0, left: 3, height: 6, width: 2 },
      { top: 5, left: rw - 1, height: 1, width: 1 },
    ]) {
      const fused = resizeCrop(src, w, h, 3, rw, rh, crop);
      for (let y = 0; y < crop.height; y++)
        for (let x = 0; x < crop.width; x++)
          for (let c = 0; c < 3; c++)
            expect(fused[(y * crop.width + x) * 3 + c]).toBe(all[((y + crop.top) * rw + x + crop.left) * 3 + c]);
    }
  });
});

describe('no-resample path', () => {
  it('short side already equal to the target: exact pixels, centre crop at floor offsets', () => {
    // 5×3 RGB, target 3, crop 2×2 → offsets left floor(3/2) = 1, top floor(1/2) = 0
    const data = Uint8Array.from({ length: 5 * 3 * 3 }, (_, i) => i);
    const img: RawImage = { width: 5, height: 3, channels: 3, data };
    const t = preprocessImage(img, spec(2, 2, 3, { resizeShortSide: 3, centerCrop: [2, 2] }));
    expect(t.shape).toEqual([1, 2, 2, 3]);
    const at = (y: number, x: number) => Array.from(data.subarray((y * 5 + x) * 3, (y * 5 + x) * 3 + 3));
    expect(Array.from(t.data)).toEqual([...at(0, 1), ...at(0, 2), ...at(1, 1), ...at(1, 2)]);
  });

  it('identity when no resize and no crop', () => {
    const data = Uint8Array.from({ length: 4 * 4 * 3 }, (_, i) => (i * 13) % 256);
    const t = preprocessImage({ width: 4, height: 4, channels: 3, data }, spec(4, 4, 3));
    expect(Array.from(t.data)).toEqual(Array.from(data));
  });
});

describe('colour conversion (alpha ignored, not composited)', () => {
  it('RGBA → RGB drops alpha', () => {
    const img: RawImage = { width: 2, height: 1, channels: 4, data: Uint8Array.from([10, 20, 30, 0, 40, 50, 60, 128]) };
    expect(Array.from(convertColor(img, 3))).toEqual([10, 20, 30, 40, 50, 60]);
  });
  it('grey and grey+alpha → RGB replicate', () => {
    expect(Array.from(convertColor(grey(2, 1, [7, 9]), 3))).toEqual([7, 7, 7, 9, 9, 9]);
    const ga: RawImage = { width: 2, height: 1, channels: 2, data: Uint8Array.from([7, 0, 9, 255]) };
    expect(Array.from(convertColor(ga, 3))).toEqual([7, 7, 7, 9, 9, 9]);
    expect(Array.from(convertColor(ga, 1))).toEqual([7, 9]);
  });
  it('RGB(A) → GRAY uses the integer BT.601 luma of Pillow convert(L)', () => {
    const img: RawImage = { width: 1, height: 1, channels: 4, data: Uint8Array.from([100, 200, 50, 3]) };
    expect(convertColor(img, 1)[0]).toBe(Math.round(0.299 * 100 + 0.587 * 200 + 0.114 * 50)); // 153.0 → 153
  });
  it('accepts Uint8ClampedArray (canvas ImageData)', () => {
    const img: RawImage = { width: 1, height: 1, channels: 3, data: Uint8ClampedArray.from([1, 2, 3]) };
    expect(Array.from(convertColor(img, 3))).toEqual([1, 2, 3]);
  });
});

describe('scaling and normalisation', () => {
  it('valueRange then (x − mean) / std per channel', () => {
    const img: RawImage = { width: 1, height: 1, channels: 3, data: Uint8Array.from([255, 0, 51]) };
    const t = preprocessImage(img, spec(1, 1, 3, { mean: [0.5, 0.5, 0.1], std: [0.25, 0.5, 0.1] }, { valueRange: [0, 1] }));
    expect(t.data[0]).toBeCloseTo(2, 6);
    expect(t.data[1]).toBeCloseTo(-1, 6);
    expect(t.data[2]).toBeCloseTo(1, 5);
  });
  it('a one-element mean/std applies to every channel; [-1, 1] range', () => {
    const img: RawImage = { width: 1, height: 1, channels: 3, data: Uint8Array.from([0, 255, 0]) };
    const t = preprocessImage(img, spec(1, 1, 3, { mean: [0], std: [2] }, { valueRange: [-1, 1] }));
    expect(Array.from(t.data)).toEqual([-0.5, 0.5, -0.5]);
  });
});

describe('errors', () => {
  it('zero-sized image → InputError', () => {
    expectThrows(() => preprocessImage({ width: 0, height: 4, channels: 3, data: new Uint8Array(0) }, spec(1, 1, 3)), InputError, 'image has no pixels: 0x4');
  });
  it('data length mismatch → InputError', () => {
    expect(() => preprocessImage({ width: 2, height: 2, channels: 3, data: new Uint8Array(5) }, spec(2, 2, 3))).toThrow(/expected 2x2x3/);
  });
  it('image smaller than the crop → InputError', () => {
    expectThrows(() => preprocessImage(grey(2, 2, [1, 2, 3, 4]), spec(3, 3, 1, { centerCrop: [3, 3] })), InputError, /2x2 \(after resizing\) is smaller than the 3x3 centre crop/);
  });
  it('size not matching a model without resize → InputError that says so', () => {
    expect(() => preprocessImage(grey(2, 2, [1, 2, 3, 4]), spec(3, 3, 1))).toThrow(/does not resize/);
  });
  it('bad metadata → ModelFormatError', () => {
    expectThrows(() => preprocessImage(grey(1, 1, [1]), spec(1, 1, 1, { std: [0] })), ModelFormatError, 'preprocess std must be finite and non-zero');
    expectThrows(() => preprocessImage(grey(1, 1, [1]), spec(1, 1, 1, { mean: [1, 2] })), ModelFormatError, 'preprocess mean has 2 values for 1 channels');
  });
});
