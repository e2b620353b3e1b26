// Browser benchmark (not a test): xnor-web against onnxruntime-web and TF.js (WASM backends)
// in Debian's Chromium, side by side in one run. See bench/results/latest.md for the output.
//
//   npm run bench:browser -- [--json] [--runs 25] [--warmup 20] [--cold 5] [--threads 1,2]
//                            [--models resnet18,alexnet] [--engines xnor-web,onnxruntime-web,tfjs-wasm]
//                            [--out bench/results] [--readme] [--plain-wasm | --fma-wasm] [--no-stems]
//
// Writes OUT/latest.json, latest.md and latest.svg and prints the JSON object as the LAST
// stdout line (--json: nothing else on stdout; progress goes to stderr). --readme also
// rewrites the README's speed figures (scripts/docs-figures.ts). xnor-web runs its
// default build: the relaxed-SIMD one (Chromium has it; the same bits as the plain build);
// --plain-wasm runs the plain build (`relaxedSimd: false`), --fma-wasm the fma one (`fma: true`:
// FMA float layers, other float bits).
import { chromium } from '@playwright/test';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, type } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from '../src/cli/stats.js';
import { serve } from '../web/serve.js';
import { chromiumArgs, chromiumPath } from '../tests/e2e/browser.js';
import { readBenchResults, replaceRegions, speedRegions } from '../scripts/docs-figures.js';
import { chart } from './chart.js';
import type { ColdStartResult, Engine, ModelName, RunConfig, RunResult, StemRow } from './page/protocol.js';
import { ENGINES, type Report, type Row, makeRow, markdown, ratios, targets } from './report.js';
import { MODEL_FILES, REPO, SITE, buildSite, ensureModels, modelUrl } from './site.js';

const { values: opt } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    runs: { type: 'string', default: '25' },
    warmup: { type: 'string', default: '20' },
    cold: { type: 'string', default: '5' },
    threads: { type: 'string', default: '1,2' },
    models: { type: 'string', default: 'resnet18,alexnet' },
    engines: { type: 'string', default: ENGINES.join(',') },
    out: { type: 'string', default: 'bench/results' },
    readme: { type: 'boolean', default: false },
    'plain-wasm': { type: 'boolean', default: false },
    'fma-wasm': { type: 'boolean', default: false },
    stems: { type: 'boolean', default: true },
  },
  allowNegative: true,
});

const int = (name: string, v: string, min: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${v}"`);
  return n;
};
function list<T extends string>(name: string, v: string, allowed: readonly T[]): T[] {
  const xs = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = xs.filter((x) => !allowed.includes(x as T));
  if (bad.length || !xs.length) throw new Error(`--${name}: expected some of ${allowed.join(',')}, got "${v}"`);
  return xs as T[];
}

const runs = int('runs', opt.runs!, 1);
const warmup = int('warmup', opt.warmup!, 1);
const coldRuns = int('cold', opt.cold!, 0);
const threadCounts = opt.threads!.split(',').map((t) => int('threads', t, 1));
const models = list<ModelName>('models', opt.models!, ['resnet18', 'alexnet']);
const engines = list<Engine>('engines', opt.engines!, ENGINES);
const outDir = resolve(REPO, opt.out!);
const log = (s: string) => void process.stderr.write(s + '\n');

ensureModels(models, log);
log('bench: building the bench page (vite)');
await buildSite();
const { server, url } = await serve(SITE);
const loadStart = loadavg();
const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs() });

async function openPage() {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') log(`  [page ${m.type()}] ${m.text()}`);
  });
  await page.goto(`${url}/index.html`);
  await page.locator('#status', { hasText: 'ready' }).waitFor();
  return { context, page };
}

try {
  // Cold starts first, each in a fresh browser context (its own renderer process and HTTP
  // cache), before anything else has compiled xnor.wasm in this browser.
  const cold: ColdStartResult[] = [];
  if (models.includes('resnet18') && engines.includes('xnor-web'))
    for (let i = 0; i < coldRuns; i++) {
      const { context, page } = await openPage();
      const resnet = modelUrl(MODEL_FILES.resnet18['xnor-web']!);
      cold.push(await page.evaluate((u) => window.bench.cold(u), resnet));
      await context.close();
      log(`bench: cold start ${i + 1}/${coldRuns}: ${cold[i].load_ms.toFixed(1)} ms`);
    }

  const { context, page } = await openPage();
  const info = await page.evaluate(() => window.bench.info());
  if (!info.crossOriginIsolated) log('bench: WARNING: the page is not cross-origin isolated; multi-thread rows will run on one thread');
  const rows: Row[] = [];
  // Per model and thread count the engines are loaded side by side, each in its worker, and
  // take turns run by run (the order rotating every round), so that a slower phase of a shared
  // machine hits all of them alike; a short pause between turns lets the last engine's threads
  // go idle.
  const pause = () => new Promise((ok) => setTimeout(ok, 5));
  for (const model of models)
    for (const threads of threadCounts) {
      const open: { engine: Engine; id: number; load_ms: number; first_run_ms: number; times: number[] }[] = [];
      for (const engine of engines) {
        const file = MODEL_FILES[model][engine];
        const config: RunConfig = { engine, model, threads, warmup, runs, url: file ? modelUrl(file) : undefined };
        if (opt['plain-wasm']) config.relaxedSimd = false;
        if (opt['fma-wasm']) config.fma = true;
        log(`bench: ${model} ${engine} ×${threads}: loading`);
        open.push({ engine, times: [], ...(await page.evaluate((c) => window.bench.open(c), config)) });
      }
      for (let round = 0; round < warmup + runs; round++)
        for (let i = 0; i < open.length; i++) {
          const o = open[(i + round) % open.length];
          const [ms] = await page.evaluate(([id]) => window.bench.time(id, 1), [o.id] as const);
          if (round >= warmup) o.times.push(ms);
          await pause();
        }
      for (const o of open) {
        const closed = await page.evaluate((id) => window.bench.close(id), o.id);
        const r: RunResult = { ...closed, times_ms: o.times, load_ms: o.load_ms, first_run_ms: o.first_run_ms };
        const row = makeRow(model, o.engine, threads, r);
        rows.push(row);
        log(`bench: ${model} ${o.engine} ×${threads} (used ${row.threads_used}): median ${row.median_ms} ms, p90 ${row.p90_ms} ms, load ${row.load_ms} ms`);
      }
    }
  // the integer stem against the float stems, in a worker of the same page
  const stems: StemRow[] = engines.includes('xnor-web') && opt.stems ? await page.evaluate(() => window.bench.stems()) : [];
  for (const s of stems) log(`bench: stem ${s.stem} (${s.build}): float ${s.float_ms} ms, integer ${s.integer_ms} ms, ${s.integer_speedup}×`);
  await context.close();

  const coldMs = cold.length ? Math.round(median(cold.map((c) => c.load_ms).sort((a, b) => a - b)) * 1000) / 1000 : null;
  const cpu = cpus();
  const report: Report = {
    rows,
    cold_start_ms: coldMs,
    cold_start: cold.length
      ? {
          runs: cold,
          median_model_fetch_ms: median(cold.map((c) => c.model_fetch_ms).sort((a, b) => a - b)),
          median_after_fetch_ms: median(cold.map((c) => c.after_fetch_ms).sort((a, b) => a - b)),
          median_warm_load_ms: median(cold.map((c) => c.warm_load_ms).sort((a, b) => a - b)),
        }
      : null,
    ratios: ratios(rows),
    targets: targets(rows, coldMs, cold.length ? Math.round(Math.min(...cold.map((c) => c.load_ms)) * 1000) / 1000 : null, stems),
    stems,
    cross_origin_isolated: info.crossOriginIsolated,
    date: new Date().toISOString(),
    warmup,
    machine: {
      cpu: cpu[0]?.model.trim() ?? 'unknown',
      cores: cpu.length,
      hardware_concurrency: info.hardwareConcurrency,
      chromium: browser.version(),
      node: process.version,
      os: `${type()} ${release()}`,
      loadavg_start: loadStart.map((x) => Math.round(x * 100) / 100),
      loadavg_end: loadavg().map((x) => Math.round(x * 100) / 100),
    },
  };

  mkdirSync(outDir, { recursive: true });
  const json = JSON.stringify(report);
  writeFileSync(join(outDir, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(outDir, 'latest.md'), markdown(report));
  writeFileSync(join(outDir, 'latest.svg'), chart(report));
  if (opt.readme) updateReadme(report);
  if (!opt.json) process.stdout.write(markdown(report) + '\n');
  process.stdout.write(json + '\n');
} finally {
  await browser.close();
  server.closeAllConnections();
  server.close();
}

/** Rewrites the README's speed figures (scripts/docs-figures.ts) from this run. */
function updateReadme(rep: Report) {
  const path = join(REPO, 'README.md');
  writeFileSync(path, replaceRegions(readFileSync(path, 'utf8'), 'README.md', speedRegions({ ...readBenchResults(), browser: rep })));
}
