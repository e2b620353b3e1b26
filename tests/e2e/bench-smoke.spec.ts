// Keeps the browser benchmark (npm run bench:browser, bench/browser.ts) from rotting: one short
// run on ResNet-18 (2 timed runs per engine, 1 and 2 threads, one cold start) into a temporary
// folder. Checks what it reports, never how fast anything was.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { REPO_ROOT } from '../helpers/shared.js';
import { IMAGENET, requireModel } from './models.js';

const PYTHON = process.env.XNOR_PYTHON ?? '/usr/bin/python3';

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/browser.ts', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => ok({ code: code ?? -1, stdout, stderr }));
  });
}

test('bench:browser --json: rows for every engine and thread count, cold start, the three result files', async () => {
  test.setTimeout(180_000); // a first run also exports the float ResNet-18 to ONNX
  requireModel(IMAGENET);
  const py = spawnSync(PYTHON, ['-c', 'import torch, onnx'], { encoding: 'utf8' });
  if (py.status !== 0) {
    if (process.env.CI === 'true') throw new Error(`${PYTHON} cannot import torch and onnx (CI=true)`);
    test.skip(true, `${PYTHON} with torch and onnx is needed to export the float ResNet-18`);
  }
  const out = mkdtempSync(join(tmpdir(), 'xnor-bench-'));
  const r = await run(['--json', '--models', 'resnet18', '--runs', '2', '--warmup', '1', '--cold', '1', '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  const printed = r.stdout.trim().split('\n').pop()!;
  const rep = JSON.parse(printed);
  expect(JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'))).toEqual(rep);
  expect(rep.cross_origin_isolated).toBe(true);
  const keys = rep.rows.map((row: { engine: string; threads: number }) => `${row.engine}×${row.threads}`);
  expect(keys).toEqual(['xnor-web×1', 'onnxruntime-web×1', 'tfjs-wasm×1', 'xnor-web×2', 'onnxruntime-web×2', 'tfjs-wasm×2']);
  for (const row of rep.rows) {
    expect(row).toMatchObject({ model: 'resnet18', runs: 2 });
    expect(row.median_ms).toBeGreaterThan(0);
    expect(row.p90_ms).toBeGreaterThanOrEqual(row.median_ms);
    // Where the thread count was read: each engine's own API, not a copy of the option.
    const source: Record<string, RegExp> = { 'xnor-web': /\.threads$/, 'onnxruntime-web': /numThreads/, 'tfjs-wasm': /getThreadsCount/ };
    expect(row.threads_source).toMatch(source[row.engine]);
    // 1 thread asked: 1 used. 2 asked on an isolated page: the baselines use 2; xnor-web 2, or 1 if it fell back.
    if (row.threads === 1 || row.engine === 'xnor-web') expect([1, row.threads]).toContain(row.threads_used);
    else expect(row.threads_used).toBe(2);
  }
  expect(rep.cold_start_ms).toBeGreaterThan(0);
  expect(rep.cold_start.runs).toHaveLength(1);
  expect(rep.ratios).toHaveLength(4);
  expect(rep.targets.map((t: { target: string }) => t.target)).toHaveLength(7);
  // the integer stem against the float stem, each stem layer, on the fma and the default build
  expect(rep.stems.map((s: { build: string }) => s.build)).toEqual(['fma', 'fma', 'fma', 'mul+add', 'mul+add', 'mul+add']);
  for (const s of rep.stems) expect(s.integer_speedup).toBeCloseTo(s.float_ms / s.integer_ms, 1);
  expect(rep.targets.at(-1)).toMatchObject({ measured: rep.stems.find((s: { stem: string; build: string }) => s.build === 'fma' && s.stem.includes('AlexNet')).integer_speedup });
  const md = readFileSync(join(out, 'latest.md'), 'utf8');
  expect(md).toContain('| ResNet-18 | 1 (');
  expect(md).toContain('| ResNet-18 | 2 (');
  const svg = readFileSync(join(out, 'latest.svg'), 'utf8');
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(6);
});
