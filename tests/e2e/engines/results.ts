// What each engine's run found, for the README's "Browser support" table: one JSON file per
// project under tests/.cache/engines/results/, merged test by test (./report.engine.ts reads them).
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_DIR } from './reference.js';

export interface AccuracyResult {
  dataset: string;
  build: 'plain' | 'fma';
  images: number;
  identical: number;
  /** Images whose decoded pixels equal Pillow's (ImageNet). */
  samePixels?: number;
}

export interface EngineResults {
  engine: string;
  version: string;
  capabilities?: { simd: boolean; relaxedSimd: boolean; threads: boolean; crossOriginIsolated: boolean; sharedArrayBuffer: boolean };
  /** Threads a model got when 2 were asked for: in a worker, on the main thread. */
  threads?: { worker: number; main: number; fallbackWarned: boolean };
  accuracy?: Record<string, AccuracyResult>;
  /** Growth of the browser's memory over dispose cycles, and what one live classifier takes. */
  /** growthMiB: growth per dispose cycle beyond a plain-workers control of the same shape. */
  memory?: { measured: true; liveMiB: number; growthMiB: number; cycles: number } | { measured: false; why: string };
  errors?: string[];
  /** Apps that loaded and classified: 'demo', 'widget', 'widget camera', 'example vite|webpack|plain'. */
  apps?: string[];
}

export const RESULTS_DIR = join(CACHE_DIR, 'results');

export function recordResult(project: string, patch: Partial<EngineResults>) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${project}.json`);
  const old: Partial<EngineResults> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const apps = [...new Set([...(old.apps ?? []), ...(patch.apps ?? [])])];
  const merged = { ...old, ...patch, accuracy: { ...old.accuracy, ...patch.accuracy }, apps };
  writeFileSync(file, JSON.stringify(merged, null, 2));
}

export function readResults(): Record<string, EngineResults> {
  if (!existsSync(RESULTS_DIR)) return {};
  const out: Record<string, EngineResults> = {};
  for (const f of readdirSync(RESULTS_DIR).sort())
    if (f.endsWith('.json')) out[f.replace(/\.json$/, '')] = JSON.parse(readFileSync(join(RESULTS_DIR, f), 'utf8'));
  return out;
}
