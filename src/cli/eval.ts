import { openDataset } from '../data/index.js';
import { type Command, intOption, needPositionals, openModel, round, stringOption, UsageError } from './common.js';

export const evaluate: Command = {
  summary: 'measure top-1/top-5 accuracy on a labelled data set',
  usage: `xnor-web eval MODEL.xnn --data PATH [--limit N] [--every N] [--json] [--backend wasm|reference]

  PATH is a folder with labels.tsv (file<TAB>class index), a CIFAR-10 binary batch file, or an
  MNIST-style folder with t10k-images-idx3-ubyte.gz / t10k-labels-idx1-ubyte.gz.
  Samples labelled -1 are skipped. Progress goes to stderr: updated in place on a terminal,
  otherwise one line every N images (--every, default 100; 0 for none).
  --json prints {"n": …, "top1": …, "top5": …} as the last line.`,
  options: {
    data: { type: 'string' },
    limit: { type: 'string' },
    every: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(p, io) {
    needPositionals(p, 'eval', 1, 1, 'MODEL.xnn');
    const dataPath = stringOption(p, 'data');
    if (!dataPath) throw new UsageError('eval: --data PATH is required (see xnor-web eval --help)');
    const limit = intOption(p, 'limit', Infinity);
    const every = intOption(p, 'every', 100, 0);
    const ds = await openDataset(dataPath);
    const model = await openModel(p.positionals[0], p);
    const total = Math.min(limit, ds.size);
    const t0 = performance.now();
    let n = 0;
    let top1 = 0;
    let top5 = 0;
    let skipped = 0;
    const progress = () => {
      const s = `${n}/${total} top-1 ${(top1 / Math.max(1, n)).toFixed(4)} top-5 ${(top5 / Math.max(1, n)).toFixed(4)}`;
      if (io.errIsTTY) io.err(`\r${s}`);
      else if (every > 0 && n % every === 0) io.err(`${s}\n`);
    };
    try {
      for await (const s of ds) {
        if (n + skipped >= total) break;
        if (s.label < 0) {
          skipped++;
          continue;
        }
        const preds = model.classify(s.image, { top: 5 });
        if (preds[0]?.index === s.label) top1++;
        if (preds.some((x) => x.index === s.label)) top5++;
        n++;
        progress();
      }
    } finally {
      model.dispose();
    }
    if (io.errIsTTY) io.err('\n');
    const secs = (performance.now() - t0) / 1000;
    const r = { n, top1: n ? round(top1 / n) : 0, top5: n ? round(top5 / n) : 0 };
    io.out(
      `${ds.path} (${ds.kind}): n=${n} top-1 ${r.top1.toFixed(4)} top-5 ${r.top5.toFixed(4)}` +
        `${skipped ? `, ${skipped} unlabelled skipped` : ''} in ${secs.toFixed(1)} s (${((1000 * secs) / Math.max(1, n)).toFixed(1)} ms/image)\n`,
    );
    if (p.values.json) io.out(JSON.stringify(r) + '\n');
  },
};
