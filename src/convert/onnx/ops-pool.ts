// ONNX MaxPool / AveragePool (2-D; 1-D as 2-D on [N, C, 1, L]; 3-D without padding as two
// 2-D pools), with ceil_mode, dilations and a preceding Pad(0) folded in.

import type { XnnNode } from '../../format/xnn.js';
import type { Sym, Val } from './graph.js';
import { fromOnnxOrder, inOnnxOrder, onnxDims } from './layout.js';
import type { NodeCtx } from './node.js';
import { reshapeTo } from './ops-nd.js';
import { spatial, window } from './window.js';

type Handler = (c: NodeCtx) => Sym;
const val = (v: Val): Sym => ({ k: 'val', v });

export function maxPool(c: NodeCtx): Sym {
  c.only('auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides');
  c.singleOutput();
  const s = c.sym(0);
  // sign is monotone: MaxPool(sign(x)) = sign(MaxPool(x)), which keeps the ±1 tensor lazy.
  const v = s.k === 'sign' ? s.x : c.val(0);
  const [, h, w] = spatial(c, v);
  const [kh, kw] = c.ints('kernel_shape', []);
  if (kh === undefined || kw === undefined || c.ints('kernel_shape', []).length !== 2) c.unsupported('only 2-D kernel_shape is supported');
  const { strides, pads, dilations } = window(c, v, kh, kw);
  // storage_order only orders output 1 (Indices), which singleOutput refused above.
  const dilated = dilations.some((d) => d !== 1);
  if (c.int('ceil_mode', 0)) {
    // Round the output size up (PyTorch's rule: the last window must start inside the input
    // or its top/left padding) by padding the bottom/right; padding never wins a max.
    const out = (size: number, k: number, st: number, a: number, b: number) => {
      let n = Math.ceil((size + a + b - k) / st) + 1;
      if ((n - 1) * st >= size + a) n--;
      return Math.max(b, (n - 1) * st + k - size - a);
    };
    pads[2] = out(h, (kh - 1) * dilations[0] + 1, strides[0], pads[0], pads[2]);
    pads[3] = out(w, (kw - 1) * dilations[1] + 1, strides[1], pads[1], pads[3]);
  }
  if (dilated && v.type.dtype !== 'f32') c.unsupported('a dilated MaxPool of a ±1 tensor is not supported');
  const attrs: XnnNode['attrs'] = dilated ? { kernel: [kh, kw], strides, pads, dilations } : { kernel: [kh, kw], strides, pads };
  const r = c.b.node(c.where, 'MaxPool', c.name, [v.name], attrs).val;
  return s.k === 'sign' ? { k: 'sign', x: r, onnx: s.onnx } : val(r);
}

export function avgPool(c: NodeCtx): Sym {
  c.only('auto_pad', 'ceil_mode', 'count_include_pad', 'kernel_shape', 'pads', 'strides');
  const ks = c.ints('kernel_shape', []);
  if (ks.length !== 2) c.unsupported('only 2-D kernel_shape is supported');
  const [kh, kw] = ks;
  // Pad(0) then AveragePool without padding of its own = AveragePool counting the pad.
  const p = c.sym(0);
  const lazy = p.k === 'pad' && p.value === 0 && p.x.k === 'val' && p.pads[0] < kh && p.pads[2] < kh && p.pads[1] < kw && p.pads[3] < kw;
  const v = lazy ? (p.x as Extract<Sym, { k: 'val' }>).v : c.f32(0, 4);
  spatial(c, v);
  const { strides, pads } = window(c, v, kh, kw);
  let cip = c.int('count_include_pad', 0) !== 0;
  if (lazy) {
    if (pads.some((x) => x !== 0) && !cip) return avgPoolOf(c, c.f32(0, 4), kh, kw);
    p.pads.forEach((x, i) => (pads[i] += x));
    cip = true;
  }
  return avgPoolOf(c, v, kh, kw, { strides, pads, cip });
}

function avgPoolOf(c: NodeCtx, v: Val, kh: number, kw: number, w?: { strides: number[]; pads: number[]; cip: boolean }): Sym {
  const { strides, pads } = w ?? window(c, v, kh, kw);
  const cip = w?.cip ?? c.int('count_include_pad', 0) !== 0;
  if (c.int('ceil_mode', 0)) {
    const [, h, wd] = v.type.shape;
    // Round up by padding the bottom/right (PyTorch's rule: the last window starts inside the
    // input or its top/left padding). Those taps are never counted, so with count_include_pad
    // only a full last window is exact.
    const extra = (size: number, k: number, st: number, a: number, b: number) => {
      let n = Math.ceil((size + a + b - k) / st) + 1;
      if ((n - 1) * st >= size + a) n--;
      return Math.max(0, (n - 1) * st + k - size - a - b);
    };
    const eh = extra(h, kh, strides[0], pads[0], pads[2]), ew = extra(wd, kw, strides[1], pads[1], pads[3]);
    if ((eh || ew) && cip) c.unsupported('ceil_mode=1 with count_include_pad=1 and a partial last window is not supported');
    pads[2] += eh;
    pads[3] += ew;
  }
  const attrs = { kernel: [kh, kw], strides, pads, countIncludePad: cip };
  return val(c.b.node(c.where, 'AvgPool', c.name, [v.name], attrs).val);
}

/**
 * A 3-D pool ([N, C, D, H, W]) without padding or dilation, done as two 2-D pools: over (H, W)
 * on [N·C·D, H, W, 1], then over D on [N·C, D, H'·W', 1] (max of maxes; mean of equal-size
 * means). Other forms are refused.
 */
function pool3d(c: NodeCtx, op: 'MaxPool' | 'AvgPool'): Sym {
  const v = c.f32(0);
  const [n, ch, d, h, w] = onnxDims(v);
  const ks = c.ints('kernel_shape', []);
  const st = c.ints('strides', [1, 1, 1]);
  if (ks.length !== 3 || st.length !== 3) c.fail('a 5-D input needs a 3-D kernel_shape and strides');
  if (c.ints('pads', [0, 0, 0, 0, 0, 0]).some((p) => p !== 0) || c.ints('dilations', [1, 1, 1]).some((x) => x !== 1) || c.str('auto_pad', 'NOTSET') !== 'NOTSET' || c.int('ceil_mode', 0))
    c.unsupported('a 3-D pool with padding, dilations, auto_pad or ceil_mode is not supported');
  c.singleOutput();
  const a = c.b.node(c.where, 'Reshape', `${c.name}_hw`, [v.name], { shape: [n * ch * d, h, w, 1] }).val;
  const p1 = c.b.node(c.where, op, `${c.name}_pool_hw`, [a.name], { kernel: [ks[1], ks[2]], strides: [st[1], st[2]] }).val;
  const [, h2, w2] = p1.type.shape;
  const b = c.b.node(c.where, 'Reshape', `${c.name}_d`, [p1.name], { shape: [n * ch, d, h2 * w2, 1] }).val;
  const p2 = c.b.node(c.where, op, `${c.name}_pool_d`, [b.name], { kernel: [ks[0], 1], strides: [st[0], 1] }).val;
  return val(c.b.node(c.where, 'Reshape', c.name, [p2.name], { shape: [n, ch, p2.type.shape[1], h2, w2] }).val);
}

/** A 1-D Conv/pool ([N, C, L]) run as its 2-D form on [N, C, 1, L]; other ranks as they are. */
export function oneD(h: Handler, op?: 'MaxPool' | 'AvgPool'): Handler {
  return (c) => {
    const s = c.sym(0);
    if (op && s.k === 'val' && onnxDims(s.v).length === 5) return pool3d(c, op);
    if (s.k !== 'val' || onnxDims(s.v).length !== 3) return h(c);
    const [n, ch, l] = onnxDims(s.v);
    const x = fromOnnxOrder(c, inOnnxOrder(c, s.v), [n, ch, 1, l]);
    const y = h(c.as2d(val(x)));
    if (y.k !== 'val') return c.unsupported('a 1-D window of this input is not supported');
    const [yn, , yl, yc] = y.v.type.shape.length === 4 ? y.v.type.shape : [0, 0, 0, 0];
    return reshapeTo(c, y.v, [yn, yc, yl]);
  };
}

