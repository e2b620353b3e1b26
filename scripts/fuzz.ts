// `npm run fuzz -- --cases N [--seed S] [--kind K[,K…]] [--start I] [--jobs J] [--hang-ms MS]
//                  [--max-rss-mb MB] [--max-bytes B] [--time-limit S] [--verbose]`
//
// Mutation fuzzing of every parser that takes untrusted bytes: readXnn (+ WASM backend and one
// inference when a mutant still loads), the BMXNet converter (.params + symbol JSON) and the
// ONNX converter. Mutations and seed files: tests/fuzz/engine.ts. Cases run in a worker
// thread watched from here, so a hang is detected, reported and skipped. Only the documented
// error classes may come out (ModelFormatError for .xnn; ConvertError / UnsupportedOpError for
// converters); anything else is a crash. A .xnn mutant that loads must also hold no more WASM
// memory than its header justifies (engine.ts wasmMemoryBound; else a MemoryBoundError crash).
// Exits 1 on any crash, hang (a case over --hang-ms,
// default 2000, plus 1 ms per kB of input) or resident memory over --max-rss-mb (default 2048).
// --kind takes mutation kinds or the targets xnn, bmxnet, onnx. Every failure prints the
// command that reproduces it (the same seed and case index).

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ALL_KINDS, BMXNET_KINDS, ONNX_KINDS, XNN_KINDS, availableKinds, loadCorpus, runCase, type CaseResult, type Kind } from '../tests/fuzz/engine.js';

interface Job { seed: number; start: number; end: number; kinds?: Kind[]; maxBytes?: number }
type Msg = { t: 'ready'; kinds: Kind[]; files: string[] } | { t: 'case'; r: CaseResult; ms: number; rss: number } | { t: 'done' };

if (!isMainThread) {
  const job = workerData as Job;
  const post = (m: Msg) => parentPort!.postMessage(m);
  const corpus = await loadCorpus({ maxBytes: job.maxBytes });
  const kinds = availableKinds(corpus, job.kinds);
  post({ t: 'ready', kinds, files: [...corpus.xnn, ...corpus.bmxnet, ...corpus.onnx].map((s) => s.name) });
  for (let i = job.start; i < job.end; i++) {
    const t0 = performance.now();
    const r = await runCase(corpus, job.seed, i, kinds);
    post({ t: 'case', r, ms: performance.now() - t0, rss: process.memoryUsage().rss });
  }
  post({ t: 'done' });
} else await main();

function parseArgs(argv: string[]) {
  const o = { cases: 1000, seed: (Date.now() % 2 ** 31) >>> 0, start: 0, jobs: 1, hangMs: 2000, maxRssMb: 2048, maxBytes: undefined as number | undefined, kinds: undefined as Kind[] | undefined, verbose: false, timeLimit: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    const n = () => {
      const x = Number(v());
      if (!Number.isFinite(x) || x < 0) throw new Error(`${a}: not a number`);
      return Math.floor(x);
    };
    if (a === '--cases') o.cases = n();
    else if (a === '--seed') o.seed = n() >>> 0;
    else if (a === '--start') o.start = n();
    else if (a === '--jobs') o.jobs = Math.max(1, n());
    else if (a === '--hang-ms') o.hangMs = n();
    else if (a === '--max-rss-mb') o.maxRssMb = n();
    else if (a === '--max-bytes') o.maxBytes = n();
    else if (a === '--time-limit') o.timeLimit = n();
    else if (a === '--verbose') o.verbose = true;
    else if (a === '--kind') {
      const ks: Kind[] = [];
      for (const k of v().split(',')) {
        if (k === 'xnn') ks.push(...XNN_KINDS);
        else if (k === 'bmxnet') ks.push(...BMXNET_KINDS);
        else if (k === 'onnx') ks.push(...ONNX_KINDS);
        else if ((ALL_KINDS as readonly string[]).includes(k)) ks.push(k as Kind);
        else throw new Error(`unknown kind "${k}" (known: xnn, bmxnet, onnx, ${ALL_KINDS.join(', ')})`);
      }
      o.kinds = ks;
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const perKind = new Map<string, { ok: number; rejected: number; crash: number; hang: number }>();
  const errorNames = new Map<string, number>();
  const failures: string[] = [];
  const fail = (f: string) => {
    failures.push(f);
    if (failures.length <= 30) console.log(f);
  };
  let done = 0;
  let peakRss = 0;
  let slowest = { ms: 0, index: -1, kind: '' };
  const wasm = { loaded: 0, maxBytes: 0, maxShare: 0, maxShareCase: -1 };
  let kindsUsed: Kind[] = [];
  const repro = (i: number) => `npm run fuzz -- --seed ${o.seed} --start ${i} --cases 1${o.maxBytes ? ` --max-bytes ${o.maxBytes}` : ''}${o.kinds ? ` --kind ${o.kinds.join(',')}` : ''}`;
  const bump = (kind: string, f: 'ok' | 'rejected' | 'crash' | 'hang') => {
    const e = perKind.get(kind) ?? { ok: 0, rejected: 0, crash: 0, hang: 0 };
    e[f]++;
    perKind.set(kind, e);
  };
  let memoryFail = false;

  // Split [start, start+cases) into `jobs` contiguous ranges; each range runs in its own worker,
  // restarted after a hang at the next index.
  const end = o.start + o.cases;
  const per = Math.ceil(o.cases / o.jobs);
  const ranges = Array.from({ length: o.jobs }, (_, j) => [o.start + j * per, Math.min(end, o.start + (j + 1) * per)] as const).filter(([a, b]) => a < b);
  let lastReport = performance.now();
  // --time-limit S (or SIGINT/SIGTERM): stop all workers and print the summary of what ran.
  const stoppers = new Set<() => void>();
  let stopped = false;
  const stopAll = () => {
    if (stopped) return;
    stopped = true;
    console.log(`stopping after ${done} cases (${o.timeLimit && performance.now() - t0 > o.timeLimit * 1000 ? 'time limit' : 'signal'})`);
    for (const s of stoppers) s();
  };
  process.once('SIGINT', stopAll);
  process.once('SIGTERM', stopAll);

  const runRange = (from: number, to: number): Promise<void> =>
    new Promise((resolve) => {
      if (from >= to) return resolve();
      // tsx's loader hooks do not reach worker threads by themselves: register them, then import.
      const boot = `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(import.meta.url)}); })`;
      const w = new Worker(boot, { eval: true, workerData: { seed: o.seed, start: from, end: to, kinds: o.kinds, maxBytes: o.maxBytes } satisfies Job });
      let next = from;
      let ready = false;
      let last = performance.now();
      let finished = false;
      const finish = (then?: () => Promise<void>) => {
        if (finished) return;
        finished = true;
        clearInterval(timer);
        void w.terminate();
        (then ? then() : Promise.resolve()).then(resolve);
      };
      const timer = setInterval(() => {
        const limit = ready ? Math.max(3 * o.hangMs, 5000) : 120_000;
        if (performance.now() - last > limit) {
          bump('?', 'hang');
          fail(`HANG case ${next} (no result after ${Math.round(performance.now() - last)} ms; killed) — ${repro(next)}`);
          done++;
          finish(stopped ? undefined : () => runRange(next + 1, to));
        }
      }, 250);
      stoppers.add(() => finish());
      w.on('message', (m: Msg) => {
        last = performance.now();
        if (o.timeLimit && !stopped && performance.now() - t0 > o.timeLimit * 1000) stopAll();
        if (m.t === 'ready') {
          ready = true;
          kindsUsed = m.kinds;
          if (from === o.start && o.verbose) console.log(`seeds: ${m.files.join(', ')}`);
        } else if (m.t === 'case') {
          const r = m.r;
          next = r.index + 1;
          done++;
          peakRss = Math.max(peakRss, m.rss);
          if (m.ms > slowest.ms) slowest = { ms: m.ms, index: r.index, kind: r.kind };
          if (r.wasmBytes !== undefined) {
            wasm.loaded++;
            wasm.maxBytes = Math.max(wasm.maxBytes, r.wasmBytes);
            const share = r.wasmBytes / r.wasmBound!;
            if (share > wasm.maxShare) Object.assign(wasm, { maxShare: share, maxShareCase: r.index });
          }
          if (r.errorName) errorNames.set(`${r.target}: ${r.errorName}`, (errorNames.get(`${r.target}: ${r.errorName}`) ?? 0) + 1);
          // Time scales with the input a little (the 1.5 MB CIFAR params take ~0.5 s to convert
          // unmutated): a hang is a case over hangMs + 1 ms per kB.
          const limitMs = o.hangMs + r.bytes / 1000;
          if (m.ms > limitMs) {
            bump(r.kind, 'hang');
            fail(`HANG case ${r.index} ${r.kind} on ${r.file}: ${Math.round(m.ms)} ms (${r.outcome}${r.errorName ? ` ${r.errorName}` : ''}) — ${repro(r.index)}`);
          } else bump(r.kind, r.outcome);
          if (r.outcome === 'crash')
            fail(`CRASH case ${r.index} ${r.kind} on ${r.file} at ${r.stage}: ${r.errorName}: ${r.message}\n  reproduce: ${repro(r.index)}`);
          else if (o.verbose && r.outcome === 'rejected') console.log(`#${r.index} ${r.kind} ${r.errorName}: ${r.message?.slice(0, 160)}`);
          if (m.rss > o.maxRssMb * 2 ** 20 && !memoryFail) {
            memoryFail = true;
            fail(`MEMORY rss ${(m.rss / 2 ** 20).toFixed(0)} MB > ${o.maxRssMb} MB after case ${r.index} ${r.kind} on ${r.file} — ${repro(r.index)}`);
          }
          if (performance.now() - lastReport > 30_000) {
            lastReport = performance.now();
            console.log(`… ${done}/${o.cases} cases, ${((performance.now() - t0) / 1000).toFixed(0)} s, ${failures.length} failures, rss ${(peakRss / 2 ** 20).toFixed(0)} MB`);
          }
        } else finish();
      });
      w.on('error', (e) => {
        if (!ready) {
          console.error(`fuzz: the worker failed to start: ${e.stack ?? e}`);
          process.exit(2);
        }
        fail(`WORKER ERROR after case ${next - 1}: ${e.stack ?? e} — ${repro(next)}`);
        bump('?', 'crash');
        done++;
        finish(() => runRange(next + 1, to));
      });
      w.on('exit', () => finish(next < to && !stopped ? () => runRange(next, to) : undefined));
    });

  console.log(`fuzz: ${o.cases} cases from #${o.start}, seed ${o.seed}, ${o.jobs} job(s), hang > ${o.hangMs} ms`);
  await Promise.all(ranges.map(([a, b]) => runRange(a, b)));
  const secs = (performance.now() - t0) / 1000;

  const pad = (s: string | number, n: number) => String(s).padStart(n);
  console.log(`\n${'kind'.padEnd(16)}${pad('cases', 8)}${pad('ok', 8)}${pad('rejected', 10)}${pad('crash', 7)}${pad('hang', 6)}`);
  const order = [...kindsUsed, '?'];
  for (const k of order) {
    const e = perKind.get(k);
    if (!e) continue;
    console.log(`${k.padEnd(16)}${pad(e.ok + e.rejected + e.crash + e.hang, 8)}${pad(e.ok, 8)}${pad(e.rejected, 10)}${pad(e.crash, 7)}${pad(e.hang, 6)}`);
  }
  console.log('\nerror names:');
  for (const [n, c] of [...errorNames].sort((a, b) => b[1] - a[1])) console.log(`  ${n.padEnd(40)} ${c}`);
  const crashes = [...perKind.values()].reduce((s, e) => s + e.crash, 0);
  const hangs = [...perKind.values()].reduce((s, e) => s + e.hang, 0);
  console.log(`\n${done} cases in ${secs.toFixed(1)} s (${((1000 * secs) / Math.max(1, done)).toFixed(2)} ms/case); slowest ${slowest.ms.toFixed(0)} ms (case ${slowest.index}, ${slowest.kind}); peak rss ${(peakRss / 2 ** 20).toFixed(0)} MB`);
  console.log(
    `WASM memory of the ${wasm.loaded} .xnn mutants that loaded: largest ${(wasm.maxBytes / 2 ** 20).toFixed(1)} MiB; ` +
      `at most ${(100 * wasm.maxShare).toFixed(1)}% of the header's bound${wasm.maxShareCase >= 0 ? ` (case ${wasm.maxShareCase})` : ''}`,
  );
  console.log(`crashes: ${crashes}, hangs: ${hangs}${memoryFail ? ', MEMORY LIMIT EXCEEDED' : ''}`);
  if (failures.length) console.log(`${failures.length} failures (the first 30 printed above)`);
  process.exitCode = failures.length ? 1 : 0;
}
