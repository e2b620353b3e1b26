// Converts an ONNX model and compares the .xnn run by the WASM runtime with onnxruntime-node
// and, when given, torch's outputs saved next to the model (the files tests/fixtures/
// onnx_models.py writes: MODEL.x.npy NCHW inputs, MODEL.y.npy logits).
//
//   npx tsx scripts/onnx-parity.ts MODEL.onnx [--x X.npy] [--y Y.npy] [--n 20] [--tol 1e-3]
//                                  [--max-over K] [--no-ort] [--out OUT.xnn]
//
// Relative error of one input: max|a − b| / max|b| over its outputs (b the reference). Exit
// code 1 when more than --max-over inputs (default 0) exceed --tol, or an argmax differs.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { readNpy, type NpyArray } from '../src/cli/npy.js';
import { convertOnnx, type OnnxOptions } from '../src/convert/onnx.js';
import { writeXnn } from '../src/format/write.js';
import { openModel as loadModel } from '../src/runtime/model.js';
import { mulberry32 } from '../tests/helpers/rng.js';

export interface ParityStats {
  n: number;
  maxRel: number;
  medianRel: number;
  /** Inputs whose relative error exceeds the tolerance. */
  over: number;
  /** Inputs whose argmax agrees. */
  argmaxAgree: number;
  rel: number[];
}

export interface ParityReport {
  inputs: number;
  convertMs: number;
  runMs: number;
  xnnBytes: number;
  xnn: Uint8Array;
  ops: string[];
  vsTorch?: ParityStats;
  ortVsTorch?: ParityStats;
  vsOrt?: ParityStats;
}

export interface ParityOptions {
  /** NCHW inputs [N,C,H,W]; default: n seeded uniform [0,1) inputs. */
  x?: NpyArray;
  /** Reference outputs [N, ...] for x (torch). */
  y?: NpyArray;
  n?: number;
  seed?: number;
  /** Also run onnxruntime-node (default true). */
  ort?: boolean;
  tol?: number;
  convert?: OnnxOptions;
}

const argmax = (a: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
};

export function compare(ours: Float32Array[], ref: Float32Array[], tol = 1e-3): ParityStats {
  const rel = ours.map((a, n) => {
    const b = ref[n];
    let d = 0, m = 0;
    for (let i = 0; i < b.length; i++) {
      d = Math.max(d, Math.abs(a[i] - b[i]));
      m = Math.max(m, Math.abs(b[i]));
    }
    return d === 0 ? 0 : d / (m || 1);
  });
  const sorted = [...rel].sort((p, q) => p - q);
  return {
    n: rel.length,
    maxRel: sorted[sorted.length - 1] ?? 0,
    medianRel: sorted[Math.floor(sorted.length / 2)] ?? 0,
    over: rel.filter((r) => !(r <= tol)).length,
    argmaxAgree: ours.filter((a, n) => argmax(a) === argmax(ref[n])).length,
    rel,
  };
}

export async function onnxParity(onnx: Uint8Array, opts: ParityOptions = {}): Promise<ParityReport> {
  const t0 = performance.now();
  const graph = convertOnnx(onnx, opts.convert);
  const xnn = writeXnn(graph);
  const convertMs = performance.now() - t0;
  const model = await loadModel(xnn);
  const [, H, W, C] = model.inputShape;
  const per = C * H * W;
  let inputs: Float32Array[];
  if (opts.x) {
    const [n, c, h, w] = opts.x.shape;
    if (c !== C || h !== H || w !== W) throw new Error(`inputs [${opts.x.shape.join(',')}] do not match the model's NCHW [N,${C},${H},${W}]`);
    inputs = Array.from({ length: n }, (_, i) => opts.x!.data.subarray(i * per, (i + 1) * per));
  } else {
    const r = mulberry32(opts.seed ?? 1);
    inputs = Array.from({ length: opts.n ?? 20 }, () => Float32Array.from({ length: per }, r));
  }
  const t1 = performance.now();
  const ours = inputs.map((x) => {
    const nhwc = new Float32Array(per);
    for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) nhwc[(h * W + w) * C + c] = x[(c * H + h) * W + w];
    return model.run(nhwc).data;
  });
  const runMs = performance.now() - t1;
  model.dispose();
  const tol = opts.tol ?? 1e-3;
  const report: ParityReport = { inputs: inputs.length, convertMs, runMs, xnnBytes: xnn.length, xnn, ops: graph.order.map((n) => n.op) };
  let torch: Float32Array[] | undefined;
  if (opts.y) {
    const y = opts.y;
    const k = y.data.length / y.shape[0];
    if (y.shape[0] !== inputs.length || k !== ours[0].length) throw new Error(`reference outputs [${y.shape.join(',')}] do not match ${inputs.length} inputs × ${ours[0].length}`);
    torch = inputs.map((_, i) => y.data.subarray(i * k, (i + 1) * k));
    report.vsTorch = compare(ours, torch, tol);
  }
  if (opts.ort ?? true) {
    const mod = await import('onnxruntime-node');
    const ort = ((mod as unknown as { default?: typeof mod }).default ?? mod) as typeof mod;
    const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const ortOut: Float32Array[] = [];
    for (const x of inputs) {
      const r = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x), [1, C, H, W]) });
      ortOut.push(Float32Array.from(r[session.outputNames[0]].data as Float32Array));
    }
    await session.release();
    report.vsOrt = compare(ours, ortOut, tol);
    if (torch) report.ortVsTorch = compare(ortOut, torch, tol);
  }
  return report;
}

export function formatStats(label: string, s: ParityStats, tol = 1e-3): string {
  return `${label}: max rel ${s.maxRel.toExponential(2)}, median ${s.medianRel.toExponential(2)}, over ${tol}: ${s.over}/${s.n}, argmax agree ${s.argmaxAgree}/${s.n}`;
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      x: { type: 'string' }, y: { type: 'string' }, n: { type: 'string' }, tol: { type: 'string' },
      'max-over': { type: 'string' }, 'no-ort': { type: 'boolean' }, out: { type: 'string' },
    },
  });
  const path = positionals[0];
  if (!path || positionals.length > 1) {
    console.error('usage: npx tsx scripts/onnx-parity.ts MODEL.onnx [--x X.npy] [--y Y.npy] [--n 20] [--tol 1e-3] [--max-over K] [--no-ort] [--out OUT.xnn]');
    process.exit(2);
  }
  const stem = path.replace(/\.onnx$/i, '');
  const npy = (p: string | undefined, fallback: string) => {
    const f = p ?? (existsSync(fallback) ? fallback : undefined);
    return f ? readNpy(readFileSync(f), f) : undefined;
  };
  const x = npy(values.x, `${stem}.x.npy`);
  const y = x ? npy(values.y, `${stem}.y.npy`) : undefined;
  const tol = values.tol ? Number(values.tol) : 1e-3;
  const maxOver = values['max-over'] ? Number(values['max-over']) : 0;
  const r = await onnxParity(readFileSync(path), { x, y, n: values.n ? Number(values.n) : 20, ort: !values['no-ort'], tol });
  if (values.out) writeFileSync(values.out, r.xnn);
  console.log(`${path}: ${r.inputs} inputs, converted in ${r.convertMs.toFixed(0)} ms (.xnn ${r.xnnBytes} bytes), WASM ${(r.runMs / r.inputs).toFixed(1)} ms/input`);
  const rows: [string, ParityStats | undefined][] = [['  ours vs torch', r.vsTorch], ['  ours vs ort  ', r.vsOrt], ['  ort  vs torch', r.ortVsTorch]];
  for (const [label, s] of rows) if (s) console.log(formatStats(label, s, tol));
  const gate = r.vsTorch ?? r.vsOrt;
  if (gate && (gate.over > maxOver || gate.argmaxAgree < gate.n)) process.exit(1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(`onnx-parity: ${(e as Error).name}: ${(e as Error).message}`);
    process.exit(1);
  });
}
