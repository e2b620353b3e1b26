// One answer for a photo everywhere in Node: `xnor-web classify` (resizing by default, as the
// demo and the widget do), loadModel's Session on this thread, the Model under it and the worker
// API (what a Session with workers runs) give the same top-5 for the same file; `--no-resize`
// keeps the strict behaviour.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readImageFile } from '../../src/image/decode-node.js';
import { loadModel } from '../../src/index.js';
import { openModel } from '../../src/runtime/model.js';
import { createWorkerApi } from '../../src/worker/api.js';
import { REPO_ROOT } from '../helpers/shared.js';
import { expectOneLineError, runCli } from './run-cli.js';

const PHOTOS = ['chelsea.png', 'coffee.png', 'rocket.jpg'].map((f) => join(REPO_ROOT, 'web/demo/public/samples', f));
const MODELS = ['imagenet-resnet18', 'cifar10-xnor', 'fashion-mnist-xnor'];

describe.each(MODELS)('%s', (name) => {
  const file = join(REPO_ROOT, 'models', `${name}.xnn`);

  it('CLI classify, Session.classify, Model.classify and the worker API give the same top-5 for each sample photo', async () => {
    const r = await runCli(['classify', file, ...PHOTOS, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const cli = (JSON.parse(r.stdout) as { top: { index: number; prob: number }[] }[]).map((x) => x.top.map((p) => p.index));

    const model = await openModel(readFileSync(file));
    const session = await loadModel(file);
    const api = createWorkerApi();
    await api.load({ model: readFileSync(file), name });
    try {
      for (const [i, photo] of PHOTOS.entries()) {
        const img = await readImageFile(photo);
        const direct = model.classify(img).map((p) => p.index);
        const inThread = (await session.classify(img)).top.map((p) => p.index);
        const worker = (await api.classify({ frame: { kind: 'pixels', ...img }, top: 5 })).top.map((p) => p.index);
        expect(direct, photo).toEqual(cli[i]);
        expect(inThread, photo).toEqual(cli[i]);
        expect(worker, photo).toEqual(cli[i]);
      }
    } finally {
      model.dispose();
      session.dispose();
      api.dispose();
    }
  }, 120_000);
});

it('--no-resize refuses a photo that is not the input size, in one line', async () => {
  const r = await runCli(['classify', join(REPO_ROOT, 'models/cifar10-xnor.xnn'), PHOTOS[0], '--no-resize']);
  expectOneLineError(r, /451x300 .* the model takes 32x32 \(this model does not resize/);
});
