// The exact integer stem (docs/KERNELS.md "Integer stem") on the shipped models' FULL test
// sets: the XNOR nets' stems are marked `integerStem` (weights on a power-of-two grid per
// output channel, inputs 0..255), and running them as an i16 dot product gives logits bit for
// bit equal to the float conv's (the same file with the mark removed), on the plain and the
// fma builds (every 4th image on the latter; the relaxed build's floats are the plain build's). The BWN nets put a BatchNorm before their stem: not marked.
// Missing data: skipped locally, failed when CI=true (as tests/models/shipped.test.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataset, type Sample } from '../../src/data/index.js';
import { readXnn, writeXnn, type XnnModel } from '../../src/format/index.js';
import { preprocessImage } from '../../src/image/preprocess.js';
import { createWasmBackend } from '../../src/runtime/wasm-backend.js';
import { REPO_ROOT, fashionMnistDir, sharedFiles } from '../helpers/shared.js';

const fashion = fashionMnistDir();
const cifar = sharedFiles('data/cifar10/test_batch.bin')?.[0] ?? null;

const MODELS = [
  { name: 'fashion-mnist-xnor', data: fashion, marked: true },
  { name: 'cifar10-xnor', data: cifar, marked: true },
  { name: 'fashion-mnist-bwn', data: fashion, marked: false },
  { name: 'cifar10-bwn', data: cifar, marked: false },
];

const load = (name: string) => readXnn(new Uint8Array(readFileSync(join(REPO_ROOT, 'models', `${name}.xnn`))));

/** The same model with every integerStem mark removed: the float conv runs. */
function unmarked(m: XnnModel): XnnModel {
  const nodes = m.nodes.map((n) => ({ ...n, attrs: Object.fromEntries(Object.entries(n.attrs).filter(([k]) => k !== 'integerStem')) }));
  return readXnn(writeXnn({ metadata: m.metadata, inputs: m.inputs, outputs: m.outputs, tensors: m.tensors, nodes }));
}

describe('shipped models: which stems are marked integer-exact', () => {
  for (const m of MODELS)
    it(`${m.name}: ${m.marked ? 'the stem is marked' : 'no node is marked'}`, () => {
      const marked = load(m.name).nodes.filter((n) => n.attrs.integerStem === true).map((n) => n.op);
      expect(marked).toEqual(m.marked ? ['Conv2D'] : []);
    });
});

describe('the integer stem equals the float stem bit for bit on the full test sets', () => {
  for (const m of MODELS.filter((x) => x.marked))
    for (const fma of [false, true])
      it.skipIf(!m.data)(`${m.name} (${fma ? 'fma' : 'plain: mul + add'} build)`, async () => {
        const model = load(m.name);
        const build = fma ? { fma } : { relaxedSimd: false };
        const int = await createWasmBackend(model, { ...build, popcount: 'scalar' });
        const flt = await createWasmBackend(unmarked(model), { ...build, popcount: 'scalar' });
        try {
          expect([int.fma, flt.fma]).toEqual([fma, fma]);
          expect(int.steps.find((s) => s.node.op === 'Conv2D')?.kernel).toBe('integer stem');
          expect(flt.steps.find((s) => s.node.op === 'Conv2D')?.kernel).toBeUndefined();
          const samples: Sample[] = [];
          for await (const s of await openDataset(m.data!)) samples.push(s);
          expect(samples).toHaveLength(10_000);
          let differ = -1;
          // the fma build on every 4th image (the plain one on all): the suite's time
          for (let i = 0; i < samples.length && differ < 0; i += fma ? 4 : 1) {
            const x = preprocessImage(samples[i].image, model.metadata).data;
            const a = int.run(x).slice();
            const b = flt.run(x);
            for (let j = 0; j < a.length; j++) if (!Object.is(a[j], b[j])) differ = i;
          }
          expect(differ, `image #${differ}: logits differ`).toBe(-1);
        } finally {
          int.dispose();
          flt.dispose();
        }
      }, 600_000);
});
