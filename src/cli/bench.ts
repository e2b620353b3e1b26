import type { Model } from '../runtime/model.js';
import type { ModelInfo } from '../types.js';
import { type Command, UsageError, intOption, needPositionals, openModel, round } from './common.js';
import { median, percentile, sampleMs } from './stats.js';

/** The fixed pseudo-random input of every bench run: uniform over the model's value range. */
export function benchInput(info: ModelInfo, length: number): Float32Array {
  const [lo, hi] = info.input.valueRange;
  // a range of raw pixels (integer bounds, e.g. 0..255) gets integer values, as decoded images
  // have (an integer stem runs on them: docs/KERNELS.md "Integer stem")
  const pixels = Number.isInteger(lo) && Number.isInteger(hi) && hi - lo > 1;
  const x = new Float32Array(length);
  let s = 0x2545f491;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = pixels ? lo + Math.floor(((hi - lo + 1) * s) / 2 ** 32) : lo + ((hi - lo) * s) / 2 ** 32;
  }
  return x;
}

export const bench: Command = {
  summary: 'time inference in Node',
  usage: `xnor-web bench MODEL.xnn [--runs N] [--warmup N] [--threads N] [--json] [--profile] [--backend wasm|reference]

  Runs a fixed pseudo-random input --warmup times (default 3), then --runs times (default 20)
  and reports the median and 90th percentile (nearest rank) milliseconds per inference.
  --json prints {"model": …, "backend": …, "threads": …, "runs": …, "median_ms": …, "p90_ms": …}.
  --threads N (default 1) runs the convs on N threads (docs/THREADS.md); "threads" is what ran.

  --profile (wasm backend) times every step of the plan instead: median ms per step and per op,
  and for each binary conv or dense layer the fraction of the popcount roofline it reached
  (its XOR+popcount words per second ÷ those of a tight XOR+popcount loop on this machine).
  With --json: {"model", "backend", "runs", "total_ms", "roofline": {…}, "ops": {…}, "steps": […]}.`,
  options: {
    runs: { type: 'string' }, warmup: { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' }, profile: { type: 'boolean' },
  },
  async run(p, io) {
    needPositionals(p, 'bench', 1, 1, 'MODEL.xnn');
    const runs = intOption(p, 'runs', 20);
    const warmup = intOption(p, 'warmup', 3, 0);
    const threads = intOption(p, 'threads', 1);
    if (p.values.profile) {
      if (p.backend !== 'wasm') throw new UsageError('bench: --profile times the steps of the wasm backend; drop --backend reference');
      const { profileModel, formatProfile } = await import('./profile.js');
      const prof = await profileModel(p.positionals[0], runs, warmup, threads);
      io.out(p.values.json ? JSON.stringify(prof) + '\n' : formatProfile(prof));
      return;
    }
    const model = await openModel(p.positionals[0], p, { threads });
    try {
      const r = timeModel(model, runs, warmup);
      if (p.values.json) io.out(JSON.stringify(r) + '\n');
      else io.out(`${r.model} [${r.backend}, ${r.threads} thread${r.threads > 1 ? 's' : ''}]: median ${r.median_ms} ms, p90 ${r.p90_ms} ms over ${runs} runs (${warmup} warm-up)\n`);
    } finally {
      model.dispose();
    }
  },
};

function timeModel(model: Model, runs: number, warmup: number) {
  const x = benchInput(model.info, model.inputShape.reduce((a, b) => a * b, 1));
  const times = sampleMs(() => model.run(x), runs, warmup);
  return {
    model: model.info.name,
    backend: model.backendName,
    threads: model.threads,
    runs,
    median_ms: round(median(times), 3),
    p90_ms: round(percentile(times, 0.9), 3),
  };
}
