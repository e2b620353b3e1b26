import { type Command, intOption, needPositionals, openModel, round } from './common.js';

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function median(sorted: number[]): number {
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}

export const bench: Command = {
  summary: 'time inference in Node',
  usage: `xnor-web bench MODEL.xnn [--runs N] [--warmup N] [--json] [--backend wasm|reference]

  Runs a fixed pseudo-random input --warmup times (default 3), then --runs times (default 20)
  and reports the median and 90th percentile (nearest rank) milliseconds per inference.
  --json prints {"model": …, "backend": …, "runs": …, "median_ms": …, "p90_ms": …}.`,
  options: { runs: { type: 'string' }, warmup: { type: 'string' }, json: { type: 'boolean' } },
  async run(p, io) {
    needPositionals(p, 'bench', 1, 1, 'MODEL.xnn');
    const runs = intOption(p, 'runs', 20);
    const warmup = intOption(p, 'warmup', 3, 0);
    const model = await openModel(p.positionals[0], p);
    try {
      const [lo, hi] = model.info.input.valueRange;
      const x = new Float32Array(model.inputShape.reduce((a, b) => a * b, 1));
      let s = 0x2545f491;
      for (let i = 0; i < x.length; i++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        x[i] = lo + ((hi - lo) * s) / 2 ** 32;
      }
      for (let i = 0; i < warmup; i++) model.run(x);
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        model.run(x);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      const r = {
        model: model.info.name,
        backend: model.backendName,
        runs,
        median_ms: round(median(times), 3),
        p90_ms: round(percentile(times, 0.9), 3),
      };
      if (p.values.json) io.out(JSON.stringify(r) + '\n');
      else io.out(`${r.model} [${r.backend}]: median ${r.median_ms} ms, p90 ${r.p90_ms} ms over ${runs} runs (${warmup} warm-up)\n`);
    } finally {
      model.dispose();
    }
  },
};
