// The graph under construction while an ONNX model is imported, and the symbolic values the
// importer tracks per ONNX value name.
//
// Layout: ONNX is NCHW, .xnn is NHWC. A 4-D ONNX value [N,C,H,W] is the .xnn value
// [N,H,W,C]. A 2-D value made by flattening C×H×W with H·W > 1 holds its features in our
// (h,w,c) order while ONNX counts them (c,h,w); `nchw` records [C,H,W] so that per-feature
// constants and the columns of the next Gemm/MatMul are permuted to match.

import { ConvertError } from '../../errors.js';
import type { XnnNode, XnnTensor } from '../../format/xnn.js';
import { packBits } from '../../ops/bits.js';
import { OPS, ShapeError, resolveAttrs, type OpName, type TensorType } from '../../ops/spec.js';
import type { Const } from './proto.js';

/** A value of the .xnn graph (an activation). */
export interface Val {
  name: string;
  type: TensorType;
  nchw?: [number, number, number];
}

/**
 * What an ONNX value is. Besides activations and constants, the partial patterns of
 * ONNX_PATTERNS.md are kept symbolic until the op that completes them:
 *   ge0      GreaterOrEqual(x, 0)
 *   sign     Where(x >= 0, +1, −1): becomes Binarize(x) when a binary layer reads it
 *   abs      Abs(x)
 *   absmean  ReduceMean(Abs(x), axes=[1], keepdims=1): channel (4-D) or feature (2-D) mean
 *   kmap     Conv(absmean(x), box): XNOR-Net's K, an InputScale of x with this window
 */
export type Sym =
  | { k: 'val'; v: Val }
  | { k: 'const'; c: Const }
  | { k: 'ge0'; x: Val }
  | { k: 'sign'; x: Val }
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

/** Feature index in our (h,w,c) order of ONNX feature k = (c·H + h)·W + w of a C×H×W block. */
export function toNhwc(k: number, [c, h, w]: [number, number, number]): number {
  const ch = Math.floor(k / (h * w));
  return (k - ch * h * w) * c + ch;
}

export class Builder {
  nodes: XnnNode[] = [];
  tensors = new Map<string, XnnTensor>();
  readonly types = new Map<string, TensorType>();
  /** Binary layers by their .xnn output value. */
  readonly binary = new Map<string, BinaryLayer>();
  private names = new Set<string>();
  private signs = new Map<string, Val>();

  fresh(base: string): string {
    const b = base.length > 200 ? base.slice(0, 200) : base || 'v';
    let s = b;
    for (let i = 1; this.names.has(s); i++) s = `${b}_${i}`;
    this.names.add(s);
    return s;
  }
  input(name: string, type: TensorType): Val {
    const n = this.fresh(name);
    this.types.set(n, type);
    return { name: n, type };
  }
  f32(base: string, shape: number[], data: Float32Array): string {
    const name = this.fresh(base);
    this.tensors.set(name, { dtype: 'f32', shape, data });
    this.types.set(name, { dtype: 'f32', shape });
    return name;
  }
  /** ±1 values (x >= 0 is +1) of `shape`, packed per src/ops/bits.ts. */
  b1(base: string, shape: number[], values: Float32Array): string {
    const name = this.fresh(base);
    this.tensors.set(name, { dtype: 'b1', shape, data: packBits(values, shape) });
    this.types.set(name, { dtype: 'b1', shape });
    return name;
  }
  /** The output type of `op` on these inputs; ConvertError naming `where` on a mismatch. */
  infer(where: string, op: OpName, inputs: string[], attrs: XnnNode['attrs']): TensorType {
    try {
      return OPS[op].infer(
        inputs.map((v) => (v === '' ? undefined : this.types.get(v))),
        resolveAttrs(op, attrs),
      );
    } catch (e) {
      if (e instanceof ShapeError) throw new ConvertError(`${where}: ${op}: ${e.message}`);
      throw e;
    }
  }
  node(where: string, op: OpName, base: string, inputs: string[], attrs: XnnNode['attrs'] = {}): { val: Val; node: XnnNode } {
    const type = this.infer(where, op, inputs, attrs);
    const name = this.fresh(base);
    const node: XnnNode = { name, op, inputs, outputs: [name], attrs };
    this.nodes.push(node);
    this.types.set(name, type);
    return { val: { name, type }, node };
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
