import { readImageFile } from '../image/decode-node.js';
import { type Command, intOption, needPositionals, openModel, round } from './common.js';

export const classify: Command = {
  summary: 'classify images (PNG or JPEG)',
  usage: `xnor-web classify MODEL.xnn IMAGE... [--top K] [--json] [--backend wasm|reference]

  Preprocesses each image as the model's metadata says and prints the top K classes
  (default 5). --json prints one array: [{"image": path, "top": [{"index", "label", "prob"}]}].`,
  options: { top: { type: 'string' }, json: { type: 'boolean' } },
  async run(p, io) {
    needPositionals(p, 'classify', 2, Infinity, 'MODEL.xnn and at least one IMAGE');
    const top = intOption(p, 'top', 5);
    const [modelPath, ...images] = p.positionals;
    const model = await openModel(modelPath, p);
    try {
      const results = [];
      for (const path of images) {
        const preds = model.classify(await readImageFile(path), { top });
        const rec = { image: path, top: preds.map((x) => ({ index: x.index, label: x.label, prob: round(x.prob) })) };
        if (p.values.json) results.push(rec);
        else io.out(`${path}\n${rec.top.map((x) => `  ${x.prob.toFixed(4)}  ${String(x.index).padStart(4)}  ${x.label}`).join('\n')}\n`);
      }
      if (p.values.json) io.out(JSON.stringify(results) + '\n');
    } finally {
      model.dispose();
    }
  },
};
