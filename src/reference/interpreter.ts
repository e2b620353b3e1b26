// Runs a validated model with the reference ops, node by node in topological order (b1 weights unpacked
// to ±1, b1 activations as ±1 floats): the spec the WASM runtime is compared against, layer by layer.

import { InputError } from '../errors.js';
import { unpackBits } from '../ops/bits.js';
import { resolveAttrs } from '../ops/spec.js';
import type { XnnModel } from '../format/xnn.js';
import { REF_OPS, type RefTensor } from './ops.js';

export interface RunResult {
  /** The model's first output. */
  output: RefTensor;
  /** Every value by name (graph input, tensors, node outputs) when `keep` was set. */
  values?: Map<string, RefTensor>;
}

export function runReference(model: XnnModel, input: Float32Array, opts: { keep?: boolean } = {}): RunResult {
  const inp = model.inputs[0];
  const n = inp.shape.reduce((p, d) => p * d, 1);
  if (!(input instanceof Float32Array) || input.length !== n)
    throw new InputError(`input "${inp.name}" needs a Float32Array of ${n} values [${inp.shape.join(',')}]`);

  const values = new Map<string, RefTensor>([[inp.name, { shape: [...inp.shape], data: input }]]);
  for (const [name, t] of model.tensors)
    values.set(name, { shape: [...t.shape], data: t.dtype === 'f32' ? t.data : unpackBits(t.data, t.shape) });

  // Free each value after its last use unless everything is kept.
  const lastUse = new Map<string, number>();
  model.order.forEach((node, i) => node.inputs.forEach((v) => lastUse.set(v, i)));
  const outputs = new Set(model.outputs);

  model.order.forEach((node, i) => {
    const ins = node.inputs.map((v) => (v === '' ? undefined : values.get(v)!));
    const type = model.types.get(node.outputs[0])!;
    const data = REF_OPS[node.op](ins, resolveAttrs(node.op, node.attrs), type);
    values.set(node.outputs[0], { shape: [...type.shape], data });
    if (!opts.keep)
      for (const v of node.inputs)
        if (lastUse.get(v) === i && !outputs.has(v) && !model.tensors.has(v)) values.delete(v);
  });
  const output = values.get(model.outputs[0])!;
  return opts.keep ? { output, values } : { output };
}
