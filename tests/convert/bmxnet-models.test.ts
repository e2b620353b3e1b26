// The real BMXNet models from the shared folder: convert, validate, round-trip, and run the
// reference interpreter (CIFAR-10 accuracy on the first images of the test set, MNIST on
// drawn digits).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertBmxnet, type BmxnetPreset } from '../../src/convert/bmxnet.js';
import { floatValues, parseMxnetParams } from '../../src/convert/mxnet-params.js';
import { readXnn } from '../../src/format/read.js';
import { writeXnn } from '../../src/format/write.js';
import { summarize } from '../../src/format/summary.js';
import { runReference } from '../../src/reference/interpreter.js';
import { REPO_ROOT, sharedFiles } from '../helpers/shared.js';

const DIR = 'models/bmxnet/';
const MODELS: Record<BmxnetPreset, [string, string]> = {
  imagenet: ['binarized_imagenet-resnet18-64bit-symbol.json', 'binarized_imagenet-resnet18-64bit-0040.params'],
  cifar10: ['binarized_cifar10-resnet18-64bit-symbol.json', 'binarized_cifar10-resnet18-64bit-0000.params'],
  mnist: ['binarized_mnist_64bit-symbol.json', 'binarized_mnist_64bit-0001.params'],
};
const labelFile = (f: string) => readFileSync(join(REPO_ROOT, 'models/labels', f), 'utf8').split('\n').filter((l) => l !== '');
const LABELS: Record<BmxnetPreset, string[] | undefined> = {
  imagenet: labelFile('imagenet-classes.txt'),
  cifar10: labelFile('cifar10-classes.txt'),
  mnist: undefined,
};

function convert(preset: BmxnetPreset, files: string[], fold = true) {
  return convertBmxnet(readFileSync(files[0], 'utf8'), readFileSync(files[1]), preset, {
    labels: LABELS[preset],
    sourceFiles: MODELS[preset],
    fold,
  });
}

for (const preset of Object.keys(MODELS) as BmxnetPreset[]) {
  const files = sharedFiles(...MODELS[preset].map((f) => DIR + f));
  describe.skipIf(!files)(`BMXNet ${preset}`, () => {
    it('converts, validates and round-trips through .xnn', () => {
      const model = convert(preset, files!);
      const bytes = writeXnn(model);
      const back = readXnn(bytes);
      expect(back.nodes).toEqual(model.nodes);
      expect([...back.types]).toEqual([...model.types]);
      expect(back.metadata.provenance).toMatchObject({ license: 'Apache-2.0', preset });
      const ops = model.nodes.map((n) => n.op);
      const count = (op: string) => ops.filter((o) => o === op).length;
      const s = summarize(back);
      if (preset === 'mnist') {
        expect(ops).toEqual(['Conv2D', 'Tanh', 'MaxPool', 'BatchNorm', 'Binarize', 'BinConv2D', 'MaxPool', 'Flatten', 'Binarize', 'BinDense', 'Tanh', 'Dense', 'Softmax']);
        expect(back.metadata.labels).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      } else {
        expect(count('BinConv2D')).toBe(20);
        expect(count('Add')).toBe(8);
        expect(count('Conv2D')).toBe(1);
        expect(count('Dense')).toBe(1);
        expect(back.metadata.labels).toHaveLength(preset === 'imagenet' ? 1000 : 10);
        expect(s.binaryParams).toBeGreaterThan(0.9 * s.params - 1e6);
      }
      expect(back.metadata.output.kind).toBe('probabilities');
      if (preset === 'imagenet') {
        expect(bytes.length).toBeLessThanOrEqual(4 * 1024 * 1024);
        expect(back.types.get(back.outputs[0])!.shape).toEqual([1, 1000]);
        expect(back.metadata.preprocess).toEqual({ resizeShortSide: 256, centerCrop: [224, 224], mean: [0, 0, 0], std: [1, 1, 1] });
      }
    });
  });
}

describe('BMXNet facts the converter relies on', () => {
  const files = sharedFiles(DIR + MODELS.mnist[1], DIR + MODELS.cifar10[1]);
  it.skipIf(!files)('binary layers output the XNOR count: the BatchNorm after them is centred on K/2', () => {
    const check = (file: string, bn: string, k: number) => {
      const mean = floatValues(parseMxnetParams(readFileSync(file)).get(`${bn}_moving_mean`)!, bn);
      const avg = mean.reduce((a, b) => a + b, 0) / mean.length;
      expect(avg).toBeGreaterThan(0.4 * k);
      expect(avg).toBeLessThan(0.6 * k);
    };
    check(files![0], 'batchnorm1', 64 * 5 * 5); // after qconvolution0
    check(files![0], 'batchnorm2', 1024); // after qfullyconnected0
    check(files![1], 'stage4_unit2_bn2', 512 * 9);
  });
});

describe('reference interpreter on the real models', () => {
  const cifar = sharedFiles(...MODELS.cifar10.map((f) => DIR + f), 'data/cifar10/test_batch.bin');
  // ~2–3 s per image in the plain-loop reference. The first 100 images score 0.82; a
  // converter that gets bits, padding or layout wrong scores near chance (0.1).
  const N = Number(process.env.XNOR_CIFAR_N ?? 20);
  it.skipIf(!cifar)(`CIFAR-10 ResNet-18: top-1 >= 0.70 on the first ${N} test images`, () => {
    const model = convert('cifar10', cifar!);
    const data = readFileSync(cifar![2]);
    let correct = 0;
    for (let i = 0; i < N; i++) {
      const rec = data.subarray(i * 3073, (i + 1) * 3073);
      const x = new Float32Array(32 * 32 * 3);
      for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) x[p * 3 + c] = rec[1 + c * 1024 + p];
      const out = runReference(model, x).output.data;
      if (out.indexOf(Math.max(...out)) === rec[0]) correct++;
    }
    expect(correct / N).toBeGreaterThanOrEqual(0.7);
  });

  const mnist = sharedFiles(...MODELS.mnist.map((f) => DIR + f));
  it.skipIf(!mnist)('MNIST LeNet: reads drawn digits 0, 1 and 7', () => {
    const model = convert('mnist', mnist!);
    const img = (f: (y: number, x: number) => boolean) => Float32Array.from({ length: 784 }, (_, i) => (f(Math.floor(i / 28), i % 28) ? 1 : 0));
    const digits: [number, Float32Array][] = [
      [1, img((y, x) => y >= 4 && y < 24 && x >= 13 && x < 16)],
      [0, img((y, x) => ((y - 14) / 9) ** 2 + ((x - 14) / 6) ** 2 > 0.55 && ((y - 14) / 9) ** 2 + ((x - 14) / 6) ** 2 < 1.1)],
      [7, img((y, x) => (y >= 5 && y < 8 && x >= 7 && x < 21) || (y >= 8 && y < 24 && Math.abs(x - (20 - (y - 8) * 0.5)) < 1.6))],
    ];
    for (const [digit, x] of digits) {
      const out = runReference(model, x).output.data;
      expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(out.indexOf(Math.max(...out))).toBe(digit);
    }
  });
});
