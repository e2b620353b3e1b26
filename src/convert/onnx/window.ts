// The 2-D window of a Conv or pool: strides, pads and dilations from ONNX attributes (auto_pad
// resolved against the input), and a preceding Pad(0) taken as the window's own padding.

import type { Sym, Val } from './graph.js';
import type { NodeCtx } from './node.js';

/** strides, pads (top, left, bottom, right — ONNX's order too) and dilations of a 2-D window. */
export function window(c: NodeCtx, x: Val, kh: number, kw: number) {
  const strides = c.ints('strides', [1, 1]);
  const dilations = c.ints('dilations', [1, 1]);
  let pads = c.ints('pads', [0, 0, 0, 0]);
  if (strides.length !== 2 || dilations.length !== 2 || pads.length !== 4) c.unsupported('only 2-D windows are supported');
  const autoPad = c.str('auto_pad', 'NOTSET');
  if (autoPad === 'VALID') pads = [0, 0, 0, 0];
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const [, h, w] = x.type.shape;
    const total = (size: number, k: number, s: number, d: number) => Math.max(0, (Math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size);
    const [th, tw] = [total(h, kh, strides[0], dilations[0]), total(w, kw, strides[1], dilations[1])];
    const lo = (t: number) => (autoPad === 'SAME_UPPER' ? Math.floor(t / 2) : Math.ceil(t / 2));
    pads = [lo(th), lo(tw), th - lo(th), tw - lo(tw)];
  } else if (autoPad !== 'NOTSET') c.unsupported(`auto_pad=${autoPad} is not supported`);
  return { strides, pads, dilations };
}

/** x as a 4-D activation (NHWC here, NCHW in ONNX). */
export function spatial(c: NodeCtx, v: Val): number[] {
  if (v.type.shape.length !== 4) c.unsupported(`expects a 4-D (NCHW) input, got [${v.type.shape.join(',')}]`);
  return v.type.shape;
}

/** The input of a Conv/AveragePool with a preceding zero Pad of H, W taken as its own padding. */
export function padded(c: NodeCtx): { s: Sym; extra: number[] } {
  const s = c.sym(0);
  if (s.k === 'pad' && s.value === 0) return { s: s.x, extra: s.pads };
  return { s, extra: [0, 0, 0, 0] };
}

