// Webcam benchmark (not a test): classified frames per second of the demo's live loop on
// ImageNet ResNet-18, in Debian's Chromium with a 60 fps fake camera, per configuration of
// workers × kernel threads. What a page gets end to end: frame capture, transfer,
// preprocessing and inference in the worker(s), latest-frame-wins dropping.
//
//   npm run bench:webcam -- [--json] [--seconds 10] [--configs 1x1,2x1,1x2]
//
// A config WxT is W workers (loadModel's `workers`) with T kernel threads each. Prints
// one JSON object as the last stdout line: {"rows":[{"workers","threads","threads_used",
// "fps","ms_per_inference","ms_preprocess","frames","dropped","long_tasks","longest_task_ms"}],"loadavg":[…]}
// (long_tasks: main-thread tasks of 50 ms or more during the measurement, the Long Tasks API); also written to
// bench/results/webcam.json.
import { chromium } from '@playwright/test';
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromiumArgs, chromiumPath } from '../tests/e2e/browser.js';
import { serve } from '../web/serve.js';
import { REPO } from './site.js';

const { values: opt } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '10' },
    configs: { type: 'string', default: '1x1,2x1,1x2' },
  },
});
const seconds = Number(opt.seconds);
if (!(seconds > 0)) throw new Error(`--seconds must be > 0, got ${opt.seconds}`);
const configs = opt.configs!.split(',').map((c) => {
  const m = /^(\d+)x(\d+)$/.exec(c.trim());
  if (!m) throw new Error(`--configs: expected WORKERSxTHREADS items like 2x1, got "${c}"`);
  return { workers: Number(m[1]), threads: Number(m[2]) };
});
const log = (s: string) => void process.stderr.write(s + '\n');
const MODEL = 'models/imagenet-resnet18.xnn';

if (!existsSync(join(REPO, MODEL))) throw new Error(`${MODEL} is missing: run \`npm run models\` (needs the shared folder)`);
log('webcam: building the demo (vite)');
execSync('npx vite build --logLevel error -c web/demo/vite.config.ts', { cwd: REPO, stdio: 'inherit' });
const { server, url } = await serve(join(REPO, 'dist'));
// The fake device at 60 fps, so the camera is not what caps the loop.
const args = chromiumArgs({ fakeCamera: true }).map((a) =>
  a === '--use-fake-device-for-media-stream' ? '--use-fake-device-for-media-stream=fps=60' : a,
);
const browser = await chromium.launch({ executablePath: chromiumPath(), args });
const loadStart = loadavg();

interface Stats {
  submitted: number;
  answered: number;
  dropped: number;
}

try {
  const rows = [];
  for (const { workers, threads } of configs) {
    const context = await browser.newContext({ serviceWorkers: 'block' });
    const page = await context.newPage();
    await page.goto(`${url}/demo/?model=${encodeURIComponent(MODEL)}&workers=${workers}&threads=${threads}`);
    await page.locator('body[data-model="ready"]').waitFor({ timeout: 60_000 });
    await page.getByTestId('camera-start').click();
    await page.getByTestId('top1-label').filter({ hasText: /./ }).waitFor({ timeout: 30_000 });
    await page.waitForTimeout(2000); // warm-up: every worker has run a few frames
    const r = await page.evaluate(async (ms) => {
      const stats = (window as unknown as { __xnorStats: () => Stats }).__xnorStats;
      // main-thread tasks of 50 ms or more (the Long Tasks API reports exactly those)
      const long: number[] = [];
      const obs = new PerformanceObserver((list) => list.getEntries().forEach((e) => long.push(e.duration)));
      obs.observe({ type: 'longtask' });
      const a = stats();
      const t0 = performance.now();
      await new Promise((ok) => setTimeout(ok, ms));
      const b = stats();
      obs.disconnect();
      return {
        seconds: (performance.now() - t0) / 1000, frames: b.submitted - a.submitted, answered: b.answered - a.answered, dropped: b.dropped - a.dropped,
        longTasks: long.length, longestTaskMs: long.length ? Math.round(Math.max(...long)) : 0,
      };
    }, seconds * 1000);
    const ms = Number(await page.getByTestId('latency-ms').textContent());
    const preMs = Number(await page.getByTestId('preprocess-ms').textContent());
    const badge = (await page.getByTestId('threads').textContent().catch(() => '')) ?? '';
    const used = Number(/threads: (\d+) per worker/.exec(badge)?.[1] ?? 1);
    const row = { workers, threads, threads_used: used, fps: Math.round((r.answered / r.seconds) * 10) / 10, ms_per_inference: ms, ms_preprocess: preMs, frames: r.frames, dropped: r.dropped, long_tasks: r.longTasks, longest_task_ms: r.longestTaskMs };
    log(`webcam: ${workers} worker(s) × ${threads} thread(s) (used ${used}): ${row.fps} classified frames/s, ${ms} ms/inference, ${preMs} ms preprocessing, ${r.frames} frames, ${r.dropped} dropped, ${r.longTasks} main-thread tasks ≥ 50 ms (longest ${r.longestTaskMs} ms)`);
    rows.push(row);
    await context.close();
  }
  const report = { rows, seconds, model: MODEL, chromium: browser.version(), date: new Date().toISOString(), loadavg_start: loadStart, loadavg_end: loadavg() };
  mkdirSync(join(REPO, 'bench/results'), { recursive: true });
  writeFileSync(join(REPO, 'bench/results/webcam.json'), JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(JSON.stringify(report) + '\n');
} finally {
  await browser.close();
  server.closeAllConnections();
  server.close();
}
