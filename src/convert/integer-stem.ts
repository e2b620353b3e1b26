// Marks the float convs on the graph input whose weights lie on a power-of-two grid per output
// channel (`integerStem`, src/ops/spec.ts), so the runtime may run them as exact integer dot products.
import type { XnnGraph } from '../format/xnn.js';
import { integerGrid } from '../runtime/int-stem.js';

// On the model's integer input range every engine
// computes them exactly, so the runtime runs them as an exact integer dot product
// (src/runtime/int-stem.ts, assembly/float/istem.ts). The exact-parity export of
// training/xnor_torch/exact.py produces such stems.
/** Sets `integerStem` on the qualifying Conv2D nodes of `graph` (in place); returns their names. */
export function markIntegerStems(graph: XnnGraph): string[] {
  const range = graph.metadata.input?.valueRange;
  const reach = range ? Math.max(Math.abs(range[0]), Math.abs(range[1])) : Infinity;
  if (!range || !Number.isInteger(range[0]) || !Number.isInteger(range[1])) return [];
  const inputs = new Set(graph.inputs.map((i) => i.name));
  const marked: string[] = [];
  for (const node of graph.nodes) {
    if (node.op !== 'Conv2D' || !inputs.has(node.inputs[0])) continue;
    const w = graph.tensors.get(node.inputs[1]);
    if (!w || w.dtype !== 'f32') continue;
    const d = node.attrs.dilations as number[] | undefined;
    if (d && d[1] !== 1) continue;
    const grid = integerGrid(w.data as Float32Array, w.shape[0]);
    if (!grid || grid.limit < reach) continue;
    node.attrs.integerStem = true;
    marked.push(node.name);
  }
  return marked;
}
