// The browser benchmark's results: rows from raw timings, ratios, the issue-13 targets, and
// the Markdown table (bench/results/latest.md and the README's Performance section).
import { median, percentile } from '../src/cli/stats.js';
import type { ColdStartResult, Engine, ModelName, RunResult, StemRow } from './page/protocol.js';

export const ENGINES: Engine[] = ['xnor-web', 'onnxruntime-web', 'tfjs-wasm'];
export const BASELINES: Engine[] = ['onnxruntime-web', 'tfjs-wasm'];

export interface Row {
  model: ModelName;
  engine: Engine;
  /** Threads asked for. */
  threads: number;
  /** Threads the engine reports it ran with. */
  threads_used: number;
  median_ms: number;
  p90_ms: number;
  min_ms: number;
  runs: number;
  /** 'binary' (XNOR-Net) for xnor-web, 'float32' for the baselines. */
  precision: 'binary' | 'float32';
  load_ms: number;
  first_run_ms: number;
  threads_source: string;
  detail: Record<string, string | number | boolean>;
}

export interface Machine {
  cpu: string;
  cores: number;
  hardware_concurrency: number;
  chromium: string;
  node: string;
  os: string;
  /** 1-, 5- and 15-minute load averages when the run started and when it ended. */
  loadavg_start: number[];
  loadavg_end: number[];
}

export interface Ratio {
  model: ModelName;
  threads: number;
  baseline: Engine;
  /** baseline median ÷ xnor-web median: how many times faster xnor-web is. */
  ratio: number;
  /** The same for the fastest runs: less sensitive to other load on the machine. */
  ratio_min: number;
}

export interface Target {
  target: string;
  /** From the medians. */
  measured: number | null;
  /** From the fastest runs (the least disturbed by other load). */
  measured_min: number | null;
  required: string;
  holds: boolean | null;
  note?: string;
}

export interface Report {
  rows: Row[];
  cold_start_ms: number | null;
  cold_start: { runs: ColdStartResult[]; median_model_fetch_ms: number; median_after_fetch_ms: number; median_warm_load_ms: number } | null;
  ratios: Ratio[];
  targets: Target[];
  /** The integer stem against the float stem in Chromium, per layer, fma and default build (bench/stems.ts). */
  stems?: StemRow[];
  cross_origin_isolated: boolean;
  date: string;
  warmup: number;
  machine: Machine;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

export function makeRow(model: ModelName, engine: Engine, threads: number, r: RunResult): Row {
  const t = [...r.times_ms].sort((a, b) => a - b);
  return {
    model,
    engine,
    threads,
    threads_used: r.threads_used,
    median_ms: r3(median(t)),
    p90_ms: r3(percentile(t, 0.9)),
    min_ms: r3(t[0]),
    runs: t.length,
    precision: engine === 'xnor-web' ? 'binary' : 'float32',
    load_ms: r3(r.load_ms),
    first_run_ms: r3(r.first_run_ms),
    threads_source: r.threads_source,
    detail: r.detail,
  };
}

const find = (rows: Row[], model: ModelName, engine: Engine, threads: number) =>
  rows.find((r) => r.model === model && r.engine === engine && r.threads === threads);

export function ratios(rows: Row[]): Ratio[] {
  const out: Ratio[] = [];
  for (const x of rows.filter((r) => r.engine === 'xnor-web'))
    for (const baseline of BASELINES) {
      const b = find(rows, x.model, baseline, x.threads);
      if (b) out.push({ model: x.model, threads: x.threads, baseline, ratio: r3(b.median_ms / x.median_ms), ratio_min: r3(b.min_ms / x.min_ms) });
    }
  return out;
}

/** The targets of issue 13 (issue 6's, tightened) that this run can check. */
export function targets(rows: Row[], coldMs: number | null, coldMinMs: number | null, stems: StemRow[] = []): Target[] {
  const out: Target[] = [];
  const vsOrt = (model: ModelName, threads: number, need: number) => {
    const x = find(rows, model, 'xnor-web', threads);
    const o = find(rows, model, 'onnxruntime-web', threads);
    const measured = x && o ? r3(o.median_ms / x.median_ms) : null;
    const measured_min = x && o ? r3(o.min_ms / x.min_ms) : null;
    const notes = [x, o].filter((r) => r && r.threads_used !== threads).map((r) => `${r!.engine} ran ${r!.threads_used} thread(s)`);
    out.push({
      target: `${model} XNOR at ${threads} thread(s) ≤ 1/${need} of onnxruntime-web float at ${threads} thread(s)`,
      measured,
      measured_min,
      required: `onnxruntime-web ÷ xnor-web ≥ ${need}`,
      holds: measured === null ? null : measured >= need,
      ...(notes.length ? { note: notes.join('; ') } : {}),
    });
  };
  vsOrt('resnet18', 1, 12);
  vsOrt('resnet18', 2, 12);
  const x1 = find(rows, 'resnet18', 'xnor-web', 1);
  const x2 = find(rows, 'resnet18', 'xnor-web', 2);
  const speedup = x1 && x2 ? r3(x1.median_ms / x2.median_ms) : null;
  out.push({
    target: 'resnet18 XNOR at 2 threads ≥ 1.7× faster than at 1 thread',
    measured: speedup,
    measured_min: x1 && x2 ? r3(x1.min_ms / x2.min_ms) : null,
    required: '1-thread ÷ 2-thread median ≥ 1.7, with 2 threads used',
    holds: speedup === null ? null : speedup >= 1.7 && x2!.threads_used === 2,
    ...(x2 && x2.threads_used !== 2 ? { note: `xnor-web ran ${x2.threads_used} thread(s) when asked for 2` } : {}),
  });
  vsOrt('alexnet', 1, 6);
  vsOrt('alexnet', 2, 6);
  out.push({
    target: 'resnet18 cold start (fetch + compile + plan) ≤ 100 ms',
    measured: coldMs,
    measured_min: coldMinMs,
    required: '≤ 100 ms',
    holds: coldMs === null ? null : coldMs <= 100,
  });
  // the layer the exact-form AlexNet runs as an integer stem; the other layers are in the stems table
  const s = stems.find((r) => r.build === 'fma' && r.stem.includes('AlexNet'));
  out.push({
    target: 'integer stem ≥ 1.7× the FMA stem in Chromium, same layer (AlexNet 11×11/4 3→96)',
    measured: s ? s.integer_speedup : null,
    measured_min: null,
    required: 'fma float ms ÷ integer ms ≥ 1.7 (medians of 7 alternating rounds)',
    holds: s ? s.integer_speedup >= 1.7 : null,
  });
  return out;
}

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

/** The results table: one line per model and thread count, ratios baseline ÷ xnor-web. */
export function resultsTable(rep: Report): string {
  const lines = [
    '| model | threads (used: xnor / ort / tfjs) | xnor-web ms | onnxruntime-web ms | tfjs-wasm ms | ort ÷ xnor | tfjs ÷ xnor |',
    '|---|---|---|---|---|---|---|',
  ];
  const keys = [...new Set(rep.rows.map((r) => `${r.model}|${r.threads}`))];
  for (const key of keys) {
    const [model, t] = key.split('|') as [ModelName, string];
    const threads = Number(t);
    const cell = (e: Engine) => {
      const r = find(rep.rows, model, e, threads);
      return r ? `${ms(r.median_ms)} (p90 ${ms(r.p90_ms)}, min ${ms(r.min_ms)})` : '–';
    };
    const used = ENGINES.map((e) => find(rep.rows, model, e, threads)?.threads_used ?? '–').join(' / ');
    const ratio = (b: Engine) => {
      const q = rep.ratios.find((x) => x.model === model && x.threads === threads && x.baseline === b);
      return q ? `**${q.ratio.toFixed(1)}×**` : '–';
    };
    const name = model === 'resnet18' ? 'ResNet-18' : 'AlexNet';
    lines.push(`| ${name} | ${threads} (${used}) | ${cell('xnor-web')} | ${cell('onnxruntime-web')} | ${cell('tfjs-wasm')} | ${ratio('onnxruntime-web')} | ${ratio('tfjs-wasm')} |`);
  }
  return lines.join('\n');
}

export function machineLine(rep: Report): string {
  const m = rep.machine;
  const la = (x: number[]) => x.map((v) => v.toFixed(2)).join(' ');
  return (
    `${m.cpu}, ${m.cores} cores (navigator.hardwareConcurrency ${m.hardware_concurrency}), Chromium ${m.chromium}, ` +
    `crossOriginIsolated ${rep.cross_origin_isolated}, ${rep.date}; load average ${la(m.loadavg_start)} at the start, ${la(m.loadavg_end)} at the end`
  );
}

export function markdown(rep: Report): string {
  const runs = rep.rows.length ? Math.min(...rep.rows.map((r) => r.runs)) : 0;
  const cold = rep.cold_start;
  const out = [
    '# Browser benchmark: xnor-web vs onnxruntime-web and TF.js (WASM)',
    '',
    `\`npm run bench:browser\`, ${machineLine(rep)}.`,
    `Input 1×3×224×224; each engine in its own Web Worker, all loaded side by side and taking turns run by run; ${rep.warmup} warm-up rounds, then ${runs} timed rounds: median (p90, fastest) ms.`,
    'xnor-web runs the binarized nets (BMXNet ImageNet ResNet-18; the XNOR-Net paper\'s AlexNet from `training/`,',
    'random weights, in exact form: integer stem, bench/exact-stem.ts) on integer pixels 0..255; the baselines run the',
    'float torchvision ResNet-18 and AlexNet with random weights.',
    '',
    resultsTable(rep),
    '',
  ];
  if (cold && rep.cold_start_ms !== null)
    out.push(
      `Cold start of xnor-web ResNet-18 (\`loadModel(url)\`: fetch 3.6 MB + compile xnor.wasm + plan, in a fresh browser context, median of ${cold.runs.length}): ` +
        `**${ms(rep.cold_start_ms)} ms** (medians of the parts: model fetch ${ms(cold.median_model_fetch_ms)} ms, everything after it ${ms(cold.median_after_fetch_ms)} ms; ` +
        `all runs ${cold.runs.map((c) => ms(c.load_ms)).join(', ')} ms). A second load in the same worker (xnor.wasm already compiled, ` +
        `popcount strategy already chosen) takes ${ms(cold.median_warm_load_ms)} ms.`,
      '',
    );
  if (rep.stems?.length)
    out.push(
      'Integer stem (exact, `assembly/float/istem.ts`) against the float stem on the same layer in Chromium (`bench/stems.ts`: grid weights, integer pixels, ' +
        '7 alternating rounds, medians):',
      '',
      '| layer | float build | float ms | integer ms | float ÷ integer |',
      '|---|---|---|---|---|',
      ...rep.stems.map((r) => `| ${r.stem} | ${r.build} | ${r.float_ms} | ${r.integer_ms} | ${r.integer_speedup} |`),
      '',
    );
  out.push(
    'Issue 13 targets (judged on the medians; "fastest runs" gives the same figure from the minimums, the least disturbed by other load):',
    '',
    '| target | measured (medians) | fastest runs | required | holds |',
    '|---|---|---|---|---|',
  );
  for (const t of rep.targets)
    out.push(`| ${t.target} | ${t.measured ?? '–'} | ${t.measured_min ?? '–'} | ${t.required} | ${t.holds === null ? 'not measured' : t.holds ? 'yes' : 'no'}${t.note ? ` (${t.note})` : ''} |`);
  out.push('', 'Per row (load ms, first run ms, thread count source):', '');
  for (const r of rep.rows)
    out.push(`- ${r.model} ${r.engine} ×${r.threads}: load ${ms(r.load_ms)}, first run ${ms(r.first_run_ms)}, threads used ${r.threads_used} (${r.threads_source}); ${Object.entries(r.detail).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  return out.join('\n') + '\n';
}
