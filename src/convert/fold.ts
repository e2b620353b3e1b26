// The rewrite passes of rewrite.ts, each exact up to float32 rounding, each returning a new
// XnnGraph and leaving its input untouched.

import type { XnnGraph, XnnNode, XnnTensor } from '../format/xnn.js';
import { OPS } from '../ops/spec.js';

const SCALED = new Set(['BinConv2D', 'BinDense', 'BwnConv2D', 'BwnDense']);
const WEIGHTED = new Set(['Conv2D', 'Dense']);

/** How many times each value is read (node inputs and graph outputs). */
function useCounts(g: XnnGraph): Map<string, number> {
  const uses = new Map<string, number>();
  const add = (v: string) => v !== '' && uses.set(v, (uses.get(v) ?? 0) + 1);
  g.nodes.forEach((n) => n.inputs.forEach(add));
  g.outputs.forEach(add);
  return uses;
}

function producers(nodes: XnnNode[]) {
  return new Map(nodes.map((n) => [n.outputs[0], n]));
}

const cloneNode = (n: XnnNode): XnnNode => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs], attrs: { ...n.attrs } });

function freshName(g: XnnGraph, base: string): string {
  const taken = (s: string) => g.tensors.has(s) || g.nodes.some((n) => n.name === s || n.outputs.includes(s));
  let s = base;
  for (let i = 1; taken(s); i++) s = `${base}_${i}`;
  return s;
}

/**
 * BatchNorm(y), y from Conv2D, Dense, Bin- or Bwn- conv/dense (activation none) read only there, into y's
 * producer: Bin/Bwn mul' = scale·mul, bias' = scale·bias + shift; Conv2D/Dense w'[o] = scale[o]·w[o].
 */
export function foldBatchNorms(src: XnnGraph): XnnGraph {
  const g: XnnGraph = { ...src, nodes: src.nodes.map(cloneNode), tensors: new Map(src.tensors) };
  const uses = useCounts(g);
  const prod = producers(g.nodes);
  const f32 = (name: string) => {
    const t = g.tensors.get(name);
    return t && t.dtype === 'f32' ? t.data : undefined;
  };
  /** Writes `data` as the tensor in slot `slot` of p: in place when only p reads it, else under a new name. */
  const put = (p: XnnNode, slot: number, base: string, t: XnnTensor) => {
    const old = p.inputs[slot];
    const name = old && uses.get(old) === 1 ? old : freshName(g, `${p.name}_${base}`);
    g.tensors.set(name, t);
    while (p.inputs.length <= slot) p.inputs.push('');
    p.inputs[slot] = name;
    uses.set(name, 1);
  };
  const removed = new Set<XnnNode>();
  for (const bn of g.nodes) {
    if (bn.op !== 'BatchNorm') continue;
    const p = prod.get(bn.inputs[0]);
    const scale = f32(bn.inputs[1]);
    const shift = f32(bn.inputs[2]);
    if (!p || !scale || !shift || uses.get(bn.inputs[0]) !== 1) continue;
    if ((p.attrs.activation ?? 'none') !== 'none') continue;
    const o = scale.length;
    const fold = (mul: ArrayLike<number>, bias: ArrayLike<number> | undefined) => ({
      mul: Float32Array.from({ length: o }, (_, c) => scale[c] * mul[c]),
      bias: Float32Array.from({ length: o }, (_, c) => scale[c] * (bias ? bias[c] : 0) + shift[c]),
    });
    if (SCALED.has(p.op)) {
      const mul = f32(p.inputs[2]);
      const bias = f32(p.inputs[3]);
      if (!mul || !bias) continue;
      const r = fold(mul, bias);
      put(p, 2, 'mul', { dtype: 'f32', shape: [o], data: r.mul });
      put(p, 3, 'bias', { dtype: 'f32', shape: [o], data: r.bias });
    } else if (WEIGHTED.has(p.op)) {
      const w = g.tensors.get(p.inputs[1]);
      if (!w || w.dtype !== 'f32' || w.shape[0] !== o) continue;
      const per = w.data.length / o;
      const data = Float32Array.from(w.data, (v, i) => scale[Math.floor(i / per)] * v);
      const r = fold(new Float32Array(o).fill(1), p.inputs[2] ? f32(p.inputs[2]) : undefined);
      put(p, 1, 'weight', { dtype: 'f32', shape: [...w.shape], data });
      put(p, 2, 'bias', { dtype: 'f32', shape: [o], data: r.bias });
    } else continue;
    p.outputs = [...bn.outputs];
    prod.set(bn.outputs[0], p);
    removed.add(bn);
  }
  return prune({ ...g, nodes: g.nodes.filter((n) => !removed.has(n)) });
}

/** Relu(y), y from an op with an `activation` attribute (still "none") read only there → activation "relu". */
export function foldRelus(src: XnnGraph): XnnGraph {
  const g: XnnGraph = { ...src, nodes: src.nodes.map(cloneNode) };
  const uses = useCounts(g);
  const prod = producers(g.nodes);
  const removed = new Set<XnnNode>();
  for (const r of g.nodes) {
    if (r.op !== 'Relu') continue;
    const p = prod.get(r.inputs[0]);
    if (!p || uses.get(r.inputs[0]) !== 1 || !('activation' in OPS[p.op].attrs)) continue;
    if ((p.attrs.activation ?? 'none') !== 'none') continue;
    p.attrs.activation = 'relu';
    p.outputs = [...r.outputs];
    prod.set(r.outputs[0], p);
    removed.add(r);
  }
  return { ...g, nodes: g.nodes.filter((n) => !removed.has(n)) };
}

/** Drops nodes no output depends on, and tensors no node reads. */
export function prune(g: XnnGraph): XnnGraph {
  const prod = producers(g.nodes);
  const live = new Set<XnnNode>();
  const stack = [...g.outputs];
  while (stack.length) {
    const p = prod.get(stack.pop()!);
    if (!p || live.has(p)) continue;
    live.add(p);
    stack.push(...p.inputs);
  }
  const nodes = g.nodes.filter((n) => live.has(n));
  const read = new Set(nodes.flatMap((n) => n.inputs));
  const tensors = new Map([...g.tensors].filter(([name]) => read.has(name)));
  return { ...g, nodes, tensors };
}
