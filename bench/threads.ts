// Threads under contention (not a test): ResNet-18 on 1 thread and on 2 threads (each pool
// tuning given: VARIANTS below, over src/wasm/pool.ts DEFAULT_TUNING) in ONE process,
// interleaved round by round (the order rotates), first as the machine is, then with one
// busy-loop process (`node -e 'for(;;);'`, killed at the end) holding a core. Prints per-phase
// medians, the speed-up of each 2-thread variant over 1 thread per round, the pool's counters
// (KernelPool.stats), and /proc/loadavg before and after each phase. `taskset -c 1 node …` puts
// every thread on one core (no second core to gain). Figures: docs/THREADS.md, "Contention".
//   node --import tsx bench/threads.ts [--rounds 9] [--runs 15] [--variants default,guided4,...] [--phases idle,busy]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readXnn } from '../src/format/index.js';
import { type WasmBackend, createWasmBackend } from '../src/runtime/wasm-backend.js';
import { DEFAULT_TUNING, type PoolTuning } from '../src/wasm/pool.js';

const VARIANTS: Record<string, Partial<PoolTuning>> = {
  default: {},
  even8: { chunksPerThread: 8 },
  even16: { chunksPerThread: 16 },
  guided2: { schedule: 'guided', chunksPerThread: 2 },
  guided4: { schedule: 'guided', chunksPerThread: 4 },
  spin10: { inferenceSpin: 1 << 10 },
  spin14: { inferenceSpin: 1 << 14 },
  waitSpin20: { waitSpin: 1 << 20 },
  // the previous default; the chunk and spin variants above were measured against it with
  // adaptiveSpin: false too (docs/THREADS.md)
  fixedSpin: { adaptiveSpin: false },
};

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const rounds = Number(arg('rounds', '9'));
const runs = Number(arg('runs', '15'));
const variants = arg('variants', 'default').split(',');
const phases = arg('phases', 'idle,busy').split(',');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').trim();

const model = readXnn(new Uint8Array(readFileSync(join(import.meta.dirname, '../models/imagenet-resnet18.xnn'))));
const n = model.inputs[0].shape.reduce((a, b) => a * b, 1);
const x = Float32Array.from({ length: n }, (_, i) => ((i * 37) % 256) / 255);

const backends: { name: string; b: WasmBackend }[] = [{ name: '1 thread', b: await createWasmBackend(model, { relaxedSimd: true }) }];
for (const v of variants) {
  if (!VARIANTS[v]) throw new Error(`unknown variant ${v} (${Object.keys(VARIANTS).join(', ')})`);
  const b = await createWasmBackend(model, { relaxedSimd: true, threads: 2, poolTuning: { ...DEFAULT_TUNING, ...VARIANTS[v] } });
  if (b.threads !== 2) throw new Error('2 threads did not start');
  backends.push({ name: `2 threads ${v}`, b });
}
const ref = backends[0].b.run(x).slice();
for (const { b } of backends) for (let i = 0; i < 20; i++) b.run(x); // warm-up (and the popcount race)
for (const { name, b } of backends) {
  const y = b.run(x);
  if (!y.every((v, i) => Object.is(v, ref[i]))) throw new Error(`${name}: output differs from 1 thread`);
}

function phase(label: string) {
  const before = loadavg();
  const perRound: number[][] = backends.map(() => []);
  const stats0 = backends.map(({ b }) => ({ ...(b.poolStats ?? { jobs: 0, units: 0, callerUnits: 0, waitMs: 0 }) }));
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < backends.length; j++) {
      const at = (j + r) % backends.length;
      const { b } = backends[at];
      const t: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        b.run(x);
        t.push(performance.now() - t0);
      }
      perRound[at].push(median(t));
    }
  }
  console.log(`\n${label}: ${rounds} rounds × ${runs} runs; loadavg before ${before}, after ${loadavg()}`);
  const one = perRound[0];
  backends.forEach(({ name }, j) => {
    const m = median(perRound[j]);
    const ratios = perRound[j].map((v, r) => one[r] / v);
    const s = backends[j].b.poolStats, s0 = stats0[j];
    const pool = s
      ? `; this thread ran ${((s.callerUnits - s0.callerUnits) / (s.units - s0.units)).toFixed(2)} of the split work, waited ${((s.waitMs - s0.waitMs) / (rounds * runs)).toFixed(2)} ms per run for the others`
      : '';
    const rs = j ? `  1 thread / this: median ${median(ratios).toFixed(3)}× (rounds ${ratios.map((q) => q.toFixed(2)).join(' ')})${pool}` : '';
    console.log(`  ${name.padEnd(22)} ${m.toFixed(2)} ms (rounds ${perRound[j].map((v) => v.toFixed(1)).join(' ')})${rs}`);
  });
}

for (const p of phases) {
  if (p === 'idle') phase('as is');
  else if (p === 'busy') {
    const hog = spawn(process.execPath, ['-e', 'for(;;);'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      phase('one busy loop');
    } finally {
      hog.kill('SIGKILL');
    }
  }
}
for (const { b } of backends) b.dispose();
