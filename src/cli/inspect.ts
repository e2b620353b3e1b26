import { readXnn } from '../format/read.js';
import { formatSummary, summarize } from '../format/summary.js';
import { ModelFormatError } from '../errors.js';
import { readModelBytes } from '../runtime/fetch-model.js';
import { type Command, needPositionals } from './common.js';

export const inspect: Command = {
  summary: 'show layers, shapes, parameter counts and sizes of a model',
  usage: `xnor-web inspect MODEL.xnn [--json]

  Prints one row per node (op, output shape, parameters, stored bytes) and totals: packed
  bytes against the float32 equivalent. --json prints {"metadata": …, "summary": …}.`,
  options: { json: { type: 'boolean' } },
  async run(p, io) {
    needPositionals(p, 'inspect', 1, 1, 'MODEL.xnn');
    const { bytes, name } = await readModelBytes(p.positionals[0]);
    let model;
    try {
      model = readXnn(bytes);
    } catch (e) {
      throw e instanceof ModelFormatError ? new ModelFormatError(`${name}: ${e.message}`) : e;
    }
    const s = summarize(model);
    if (p.values.json) io.out(JSON.stringify({ metadata: model.metadata, summary: s }) + '\n');
    else {
      const m = model.metadata;
      const pp = m.preprocess;
      io.out(formatSummary(s) + '\n');
      io.out(
        `input ${m.input.colorOrder} ${m.input.valueRange.join('–')}; resize short side ${pp.resizeShortSide ?? 'none'}, ` +
          `crop ${pp.centerCrop ? pp.centerCrop.join('x') : 'none'}, mean [${pp.mean.join(', ')}], std [${pp.std.join(', ')}]; ` +
          `${m.labels.length} labels; output ${m.output.kind}\n`,
      );
      for (const a of m.accuracy) io.out(`accuracy on ${a.dataset} (n=${a.n}): top-1 ${a.top1}${a.top5 != null ? `, top-5 ${a.top5}` : ''}\n`);
    }
  },
};
