// Turns a validated graph into execution steps, fusing chains one kernel runs exactly; it never
// rewrites weights (that happens once, at conversion: src/convert/rewrite.ts).

import type { XnnModel, XnnNode } from '../format/xnn.js';

export interface Step {
  /** The node whose op decides the kernel. */
  node: XnnNode;
  /** The value this step writes (the last fused node's output). */
  output: string;
  /** Names of the nodes this step covers, first to last. */
  covers: string[];
  /** Binarize: the BatchNorm before it (tensor names of scale, shift). */
  affine?: { scale: string; shift: string };
  /** BinConv2D: packed output through sign(BN(y)); BN absent means plain sign(y). */
  sign?: { scale?: string; shift?: string };
  /** A Relu fused after the step's own transform. */
  relu?: boolean;
  /** The kernel variant chosen at load (ops.ts): a binary conv's popcount strategy, 'integer stem'. */
  kernel?: string;
}

/**
 * The steps of `model`, fusing only chains whose result equals the unfused graph's:
 *   BinConv2D → [BatchNorm] → Binarize   packed output, integer thresholds (thresholds.ts)
 *   BatchNorm → Binarize                 packAffine (same f32 mul-then-add)
 *   BatchNorm → Relu                     scaleShift with ReLU
 * A chain is fused only when each intermediate value has exactly one consumer and is not a
 * graph output, so nothing else can observe the skipped values.
 */
export function fuse(model: XnnModel): Step[] {
  const consumers = new Map<string, XnnNode[]>();
  for (const n of model.order)
    for (const i of n.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const outputs = new Set(model.outputs);
  const isConst = (name: string) => model.tensors.has(name);

  /** The sole consumer of `value` if it has op `op` and the value is private to the chain. */
  const next = (value: string, op: string): XnnNode | undefined => {
    const c = consumers.get(value);
    if (!c || c.length !== 1 || outputs.has(value) || c[0].op !== op || c[0].inputs[0] !== value) return undefined;
    return c[0];
  };

  const done = new Set<string>();
  const steps: Step[] = [];
  for (const node of model.order) {
    if (done.has(node.name)) continue;
    const step: Step = { node, output: node.outputs[0], covers: [node.name] };
    const take = (n: XnnNode) => {
      done.add(n.name);
      step.covers.push(n.name);
      step.output = n.outputs[0];
    };
    const constArgs = (n: XnnNode) => n.inputs.slice(1).every(isConst);

    if (node.op === 'BinConv2D' && !node.inputs[4]) {
      const bn = next(node.outputs[0], 'BatchNorm');
      const bin = next(bn ? bn.outputs[0] : node.outputs[0], 'Binarize');
      if (bin && (!bn || constArgs(bn))) {
        if (bn) take(bn);
        take(bin);
        step.sign = bn ? { scale: bn.inputs[1], shift: bn.inputs[2] } : {};
      }
    } else if (node.op === 'BatchNorm' && constArgs(node)) {
      const bin = next(node.outputs[0], 'Binarize');
      const relu = bin ? undefined : next(node.outputs[0], 'Relu');
      if (bin) {
        // The step becomes a Binarize that applies the BatchNorm first.
        take(bin);
        step.node = { ...bin, inputs: [node.inputs[0]] };
        step.affine = { scale: node.inputs[1], shift: node.inputs[2] };
      } else if (relu) {
        take(relu);
        step.relu = true;
      }
    }
    steps.push(step);
  }
  return steps;
}
