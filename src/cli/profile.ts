// `xnor-web bench MODEL --profile`: median time of every step of the WASM plan, per op, and
// for binary convs/dense layers the fraction of the popcount roofline they reach.
import { readXnn } from '../format/read.js';
import type { XnnModel, XnnNode } from '../format/xnn.js';
import { readModelBytes } from '../runtime/fetch-model.js';
import { attrsOf } from '../runtime/ops.js';
import { createWasmBackend } from '../runtime/wasm-backend.js';
import { benchInput } from './bench.js';
import { round } from './common.js';
import { measureRoofline } from './roofline.js';
import { median, sampleMs } from './stats.js';

export interface ProfileStep {
  name: string;
  op: string;
  /** Graph nodes this step runs (a fused chain: conv, BatchNorm, sign …). */
  covers: string[];
  /** Median ms over the profiled runs. */
  ms: number;
  /** Share of the summed step medians. */
  share: number;
  /** Binary layers: input → output geometry. */
  shape?: string;
  /** Binary layers: 64-bit XOR+popcount words one inference of this layer needs. */
  words?: number;
  /** Binary layers: (words ÷ seconds) ÷ roofline words/s; null when the step took no measurable time. */
  roofline_fraction?: number | null;
  /** The kernel variant chosen at load (a binary conv's popcount strategy, 'integer stem'). */
  kernel?: string;
}

export interface Profile {
  model: string;
  backend: 'wasm';
  popcount: string;
  /** How the float convs and dense layers accumulate: 'fma' (a relaxed-SIMD build) or 'mul+add'. */
  float: 'fma' | 'mul+add';
  runs: number;
  warmup: number;
  /** Median of whole unprofiled inferences. */
  run_ms: number;
  /** Sum of the step medians. */
  total_ms: number;
  roofline: { words_per_s: number; strategy: string };
  /** Per op: summed step medians, step count, share. */
  ops: Record<string, { ms: number; steps: number; share: number }>;
  steps: ProfileStep[];
}

/** XOR+popcount words of one BinConv2D / BinDense node, or null for other ops. */
export function popcountWork(graph: XnnModel, node: XnnNode): { words: number; shape: string } | null {
  const type = (name: string) => graph.types.get(name)?.shape;
  const x = type(node.inputs[0]), w = type(node.inputs[1]), y = type(node.outputs[0]);
  if (!x || !w || !y) return null;
  if (node.op === 'BinConv2D') {
    const [sh, sw] = attrsOf(node).ints('strides');
    return {
      words: y[0] * y[1] * y[2] * y[3] * w[1] * w[2] * Math.ceil(x[3] / 64),
      shape: `c${x[3]} ${x[1]}x${x[2]} ${w[1]}x${w[2]}/${sh === sw ? sh : `${sh},${sw}`} -> c${y[3]} ${y[1]}x${y[2]}`,
    };
  }
  if (node.op === 'BinDense') {
    const k = x[x.length - 1];
    return { words: x[0] * w[0] * Math.ceil(k / 64), shape: `${k} -> ${w[0]}` };
  }
  return null;
}

export async function profileModel(path: string, runs: number, warmup: number, threads = 1): Promise<Profile> {
  const { bytes } = await readModelBytes(path);
  const graph = readXnn(bytes);
  const roof = await measureRoofline();
  const backend = await createWasmBackend(graph, { threads });
  try {
    const x = benchInput(graph.metadata, graph.inputs[0].shape.reduce((a, b) => a * b, 1));
    const whole = sampleMs(() => backend.run(x), runs, warmup);
    const per: number[][] = backend.steps.map(() => []);
    for (let r = 0; r < runs; r++) backend.profile(x).forEach((s, i) => per[i].push(s.ms));
    const ms = per.map((t) => median(t.sort((a, b) => a - b)));
    const total = ms.reduce((a, b) => a + b, 0);
    const share = (t: number) => round(total > 0 ? t / total : 0, 4);
    const steps: ProfileStep[] = backend.steps.map((s, i) => {
      const step: ProfileStep = { name: s.node.name, op: s.node.op, covers: s.covers, ms: round(ms[i], 4), share: share(ms[i]) };
      if (s.kernel) step.kernel = s.kernel;
      const work = popcountWork(graph, s.node);
      if (work) {
        step.shape = work.shape;
        step.words = work.words;
        step.roofline_fraction = ms[i] > 0 ? round(work.words / (ms[i] / 1000) / roof.wordsPerSec, 3) : null;
      }
      return step;
    });
    const ops: Profile['ops'] = {};
    steps.forEach((s, i) => {
      const o = (ops[s.op] ??= { ms: 0, steps: 0, share: 0 });
      o.ms += ms[i];
      o.steps++;
    });
    for (const o of Object.values(ops)) {
      o.share = share(o.ms);
      o.ms = round(o.ms, 4);
    }
    return {
      model: graph.metadata.name,
      backend: 'wasm',
      popcount: `${backend.popcount} (3x3 c<=64 ${backend.popcountPerShape.k3c64}, 1x1 ${backend.popcountPerShape.k1}, other ${backend.popcountPerShape.general})`,
      float: backend.fma ? 'fma' : 'mul+add',
      runs,
      warmup,
      run_ms: round(median(whole), 3),
      total_ms: round(total, 3),
      roofline: { words_per_s: Math.round(roof.wordsPerSec), strategy: roof.strategy },
      ops,
      steps,
    };
  } finally {
    backend.dispose();
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function formatProfile(p: Profile): string {
  const out = [
    `${p.model} [wasm, popcount ${p.popcount}, float ${p.float}]: ${p.run_ms} ms per inference (median of ${p.runs}, ${p.warmup} warm-up); steps sum to ${p.total_ms} ms`,
    `popcount roofline on this machine: ${(p.roofline.words_per_s / 1e9).toFixed(3)} Gwords/s (${p.roofline.strategy})`,
    '',
    '   # step                                 op                   ms   share  binary layer: shape, roofline fraction',
  ];
  p.steps.forEach((s, i) => {
    const name = s.covers.length > 1 ? `${s.name} (+${s.covers.length - 1})` : s.name;
    const bin = (s.words === undefined ? '' : `  ${s.shape}, ${s.roofline_fraction === null ? 'n/a' : `${s.roofline_fraction!.toFixed(2)} of roofline`}`) +
      (s.kernel ? ` [${s.kernel}]` : '');
    out.push(`${String(i).padStart(4)} ${name.padEnd(38).slice(0, 38)} ${s.op.padEnd(14)} ${s.ms.toFixed(3).padStart(9)} ${pct(s.share).padStart(7)}${bin}`);
  });
  out.push('', 'per op:');
  for (const [op, o] of Object.entries(p.ops).sort((a, b) => b[1].ms - a[1].ms))
    out.push(`  ${op.padEnd(14)} ${o.ms.toFixed(3).padStart(9)} ms ${pct(o.share).padStart(7)}  (${o.steps} step${o.steps === 1 ? '' : 's'})`);
  return out.join('\n') + '\n';
}
