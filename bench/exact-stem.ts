// The bench's XNOR AlexNet in exact form (training/xnor_torch/exact.py does the same to the
// shipped nets): the graph takes raw pixels 0..255, the input BatchNorm and the 1/255 are folded
// into the stem conv, whose weights are rounded to an 8-bit power-of-two grid per output
// channel, and the stem is marked `integerStem` (src/convert/integer-stem.ts), so xnor-web runs
// it as an exact integer dot product (docs/KERNELS.md "Integer stem"). The weights are random
// (bench/models.py): this changes which random net is timed, not what a layer costs, except
// the stem. Usage: node --import tsx bench/exact-stem.ts IN.xnn OUT.xnn
import { readFileSync, writeFileSync } from 'node:fs';
import { markIntegerStems } from '../src/convert/integer-stem.js';
import { readXnn, writeXnn, type XnnGraph } from '../src/format/index.js';

const WEIGHT_BITS = 8;

export function exactStem(g: XnnGraph): XnnGraph {
  const input = g.inputs[0].name;
  const bn = g.nodes.find((n) => n.op === 'BatchNorm' && n.inputs[0] === input);
  const conv = g.nodes.find((n) => n.op === 'Conv2D' && n.inputs[0] === (bn ? bn.outputs[0] : input));
  if (!conv) throw new Error('no Conv2D on the graph input (through an optional BatchNorm)');
  const [lo, hi] = g.metadata.input.valueRange;
  if (lo !== 0 || (hi !== 1 && hi !== 255)) throw new Error(`input range ${lo}..${hi}: expected 0..1 or 0..255`);
  const f32 = (name: string) => g.tensors.get(name)!.data as Float32Array;
  const w = f32(conv.inputs[1]);
  const shape = g.tensors.get(conv.inputs[1])!.shape; // OHWI
  const [O, KH, KW, C] = shape;
  const s = bn ? f32(bn.inputs[1]) : new Float32Array(C).fill(1);
  const t = bn ? f32(bn.inputs[2]) : new Float32Array(C);
  const b = conv.inputs[2] ? f32(conv.inputs[2]) : new Float32Array(O);
  const per = KH * KW * C;
  const w2 = new Float32Array(w.length);
  const b2 = new Float32Array(O);
  for (let o = 0; o < O; o++) {
    let bias = b[o], peak = 0;
    const f = new Float64Array(per);
    for (let i = 0; i < per; i++) {
      const c = i % C;
      f[i] = (w[o * per + i] * s[c]) / (hi === 1 ? 255 : 1);
      bias += w[o * per + i] * t[c];
      peak = Math.max(peak, Math.abs(f[i]));
    }
    const e = Math.floor(Math.log2((2 ** (WEIGHT_BITS - 1) - 1) / Math.max(peak, 1e-30)));
    for (let i = 0; i < per; i++) w2[o * per + i] = Math.round(f[i] * 2 ** e) * 2 ** -e;
    b2[o] = bias;
  }
  const wName = `${conv.inputs[1]}_exact`, bName = `${conv.name}_exact_bias`;
  const tensors = new Map(g.tensors);
  tensors.set(wName, { dtype: 'f32', shape: [...shape], data: w2 });
  tensors.set(bName, { dtype: 'f32', shape: [O], data: b2 });
  const nodes = g.nodes
    .filter((n) => n !== bn)
    .map((n) => (n === conv ? { ...n, inputs: [input, wName, bName], attrs: { ...n.attrs } } : n));
  // drop tensors nothing reads any more
  const used = new Set(nodes.flatMap((n) => n.inputs));
  for (const name of [...tensors.keys()]) if (!used.has(name)) tensors.delete(name);
  const out: XnnGraph = {
    metadata: { ...g.metadata, input: { ...g.metadata.input, valueRange: [0, 255] } },
    inputs: g.inputs, outputs: g.outputs, nodes, tensors,
  };
  if (markIntegerStems(out).length !== 1) throw new Error('the exact stem did not qualify as integerStem');
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [src, dst] = process.argv.slice(2);
  writeFileSync(dst, writeXnn(exactStem(readXnn(new Uint8Array(readFileSync(src))))));
}
