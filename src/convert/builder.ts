// What every importer needs to build an XnnGraph: fresh names, constants, nodes typed by
// src/ops/spec.ts as they are added, and the common finish (rewrite.ts's pipeline, validation).

import { ConvertError } from '../errors.js';
import { validateModel } from '../format/validate.js';
import type { XnnGraph, XnnModel, XnnNode, XnnTensor } from '../format/xnn.js';
import { packBits } from '../ops/bits.js';
import { OPS, ShapeError, resolveAttrs, type OpName, type TensorType } from '../ops/spec.js';
import { prune } from './fold.js';
import { rewriteGraph } from './rewrite.js';

/** A value of the graph being built. `nchw` = [C,H,W] marks a 2-D value whose source feature order is (c,h,w). */
export interface Val {
  name: string;
  type: TensorType;
  nchw?: [number, number, number];
}

/** Our feature index of source feature k = (c·H + h)·W + w of a C×H×W block: (h·W + w)·C + c. */
export function toNhwc(k: number, [c, h, w]: [number, number, number]): number {
  const ch = Math.floor(k / (h * w));
  return (k - ch * h * w) * c + ch;
}

export class GraphBuilder {
  nodes: XnnNode[] = [];
  tensors = new Map<string, XnnTensor>();
  readonly types = new Map<string, TensorType>();
  private names = new Set<string>();

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
  addNode(where: string, op: OpName, base: string, inputs: string[], attrs: XnnNode['attrs'] = {}): { val: Val; node: XnnNode } {
    const type = this.infer(where, op, inputs, attrs);
    const name = this.fresh(base);
    const node: XnnNode = { name, op, inputs, outputs: [name], attrs };
    this.nodes.push(node);
    this.types.set(name, type);
    return { val: { name, type }, node };
  }
}

/** Runs the rewrite pipeline (only pruning when `fold` is false), validates. */
export function finishGraph(graph: XnnGraph, fold = true): XnnModel {
  const g = fold ? rewriteGraph(graph) : prune(graph);
  try {
    return validateModel(g);
  } catch (e) {
    throw new ConvertError(`the converted graph is invalid: ${(e as Error).message}`);
  }
}
