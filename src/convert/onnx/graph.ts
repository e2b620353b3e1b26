// The graph under construction while an ONNX model is imported, and the symbolic values the
// importer tracks per ONNX value name.

import type { XnnNode } from '../../format/xnn.js';
import type { OpName } from '../../ops/spec.js';
import { GraphBuilder, type Val } from '../builder.js';
import type { Const } from './proto.js';

export { toNhwc, type Val } from '../builder.js';

/**
 * What an ONNX value is. Besides activations and constants, the partial patterns of
 * ONNX_PATTERNS.md are kept symbolic until the op that completes them:
 *   ge0      GreaterOrEqual(x, 0)
 *   sign     Where(x >= 0, +1, −1): becomes Binarize(x) when a binary layer reads it
 *   abs      Abs(x)
 *   absmean  ReduceMean(Abs(x), axes=[1], keepdims=1): channel (4-D) or feature (2-D) mean
 *   kmap     Conv(absmean(x), box): XNOR-Net's K, an InputScale of x with this window
 *   sign     also ONNX's Sign(x) (onnx: true; Sign(0) = 0, where Binarize gives +1)
 *   pad      Pad(x) of a 4-D x on H and W only (pads top, left, bottom, right), kept until a
 *            Conv or AveragePool can take the padding as its own
 * Any other reader turns sign/abs/pad into a float value (ops.ts: materialize).
 */
export type Sym =
  | { k: 'val'; v: Val }
  | { k: 'const'; c: Const }
  | { k: 'ge0'; x: Val }
  | { k: 'sign'; x: Val; onnx?: boolean }
  | { k: 'pad'; x: Extract<Sym, { k: 'val' | 'sign' }>; pads: number[]; value: number }
  | { k: 'abs'; x: Val }
  | { k: 'absmean'; x: Val }
  | { k: 'kmap'; x: Val; attrs: XnnNode['attrs'] };

/** A BinConv2D/BinDense made from an ONNX Conv/Gemm, which a K-map Mul may still extend. */
export interface BinaryLayer {
  node: XnnNode;
  /** The ONNX value it produced (the Mul must be its only reader). */
  onnxName: string;
  /** Whether the ONNX layer had a non-zero bias (then (α·dot + B)·K cannot be expressed). */
  hasBias: boolean;
}

// Layout: ONNX is NCHW, .xnn is NHWC. A 4-D ONNX value [N,C,H,W] is the .xnn value
// [N,H,W,C]. A 2-D value made by flattening C×H×W with H·W > 1 holds its features in our
// (h,w,c) order while ONNX counts them (c,h,w); `nchw` records [C,H,W] so that per-feature
// constants and the columns of the next Gemm/MatMul are permuted to match.
export class Builder extends GraphBuilder {
  /** Binary layers by their .xnn output value. */
  readonly binary = new Map<string, BinaryLayer>();
  private signs = new Map<string, Val>();
  /** Float values made for lazy symbols (sign, abs, pad) by ONNX value name. */
  readonly materialized = new Map<string, Val>();

  node(where: string, op: OpName, base: string, inputs: string[], attrs: XnnNode['attrs'] = {}): { val: Val; node: XnnNode } {
    return this.addNode(where, op, base, inputs, attrs);
  }
  /** Binarize(x), one per source value; the ±1 tensor keeps x's feature order. */
  binarize(where: string, x: Val): Val {
    if (x.type.dtype === 'b1') return x;
    let s = this.signs.get(x.name);
    if (!s) {
      s = { ...this.node(where, 'Binarize', `${x.name}_sign`, [x.name]).val, nchw: x.nchw };
      this.signs.set(x.name, s);
    }
    return s;
  }
}
