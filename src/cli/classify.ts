import { readImageFile } from '../image/decode-node.js';
import { type Command, intOption, needPositionals, openModel, round } from './common.js';

export const classify: Command = {
  summary: 'classify images (PNG or JPEG)',
  usage: `xnor-web classify MODEL.xnn IMAGE... [--top K] [--json] [--no-resize] [--backend wasm|reference]

  Preprocesses each image as the model's metadata says and prints the top K classes
  (default 5). A model that declares no resize (CIFAR-10, Fashion-MNIST) still takes a photo of
  any size: its short side is scaled to the input and the centre cropped, exactly as the demo,
  the widget and loadModel's classify do; --no-resize refuses other sizes instead.
  JPEGs decode with libjpeg-turbo, as in browsers, with EXIF orientation applied.
  --json prints one array: [{"image": path, "top": [{"index", "label", "prob"}]}].`,
  options: { top: { type: 'string' }, json: { type: 'boolean' }, 'no-resize': { type: 'boolean' } },
  async run(p, io) {
    needPositionals(p, 'classify', 2, Infinity, 'MODEL.xnn and at least one IMAGE');
    const top = intOption(p, 'top', 5);
    const [modelPath, ...images] = p.positionals;
    const model = await openModel(modelPath, p);
    try {
      const results = [];
      for (const path of images) {
        const preds = model.classify(await readImageFile(path), { top, fit: p.values['no-resize'] ? 'strict' : 'auto' });
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
