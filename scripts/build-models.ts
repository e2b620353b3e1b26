// `npm run models`: converts the pretrained BMXNet models from the shared folder
// ($XNOR_SHARED or ../shared) into models/build/*.xnn. The outputs are not committed (the
// ImageNet ResNet-18 is: models/imagenet-resnet18.xnn, rebuilt by scripts/ship-imagenet.sh).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertBmxnet, type BmxnetPreset } from '../src/convert/bmxnet.js';
import { writeXnn } from '../src/format/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.XNOR_SHARED ?? resolve(root, '../shared');
const labels = (f: string) => readFileSync(join(root, 'models/labels', f), 'utf8').split('\n').filter(Boolean);

const MODELS: { out: string; preset: BmxnetPreset; base: string; epoch: string; labels?: string[] }[] = [
  { out: 'cifar10-resnet18.xnn', preset: 'cifar10', base: 'binarized_cifar10-resnet18-64bit', epoch: '0000', labels: labels('cifar10-classes.txt') },
  { out: 'mnist-lenet.xnn', preset: 'mnist', base: 'binarized_mnist_64bit', epoch: '0001' },
];

mkdirSync(join(root, 'models/build'), { recursive: true });
let failed = false;
for (const m of MODELS) {
  const symbol = join(shared, 'models/bmxnet', `${m.base}-symbol.json`);
  const params = join(shared, 'models/bmxnet', `${m.base}-${m.epoch}.params`);
  if (!existsSync(symbol) || !existsSync(params)) {
    console.error(`models: ${symbol} or its params file is missing (set XNOR_SHARED)`);
    failed = true;
    continue;
  }
  const g = convertBmxnet(readFileSync(symbol, 'utf8'), readFileSync(params), m.preset, {
    labels: m.labels,
    sourceFiles: [`${m.base}-symbol.json`, `${m.base}-${m.epoch}.params`],
  });
  const bytes = writeXnn(g);
  writeFileSync(join(root, 'models/build', m.out), bytes);
  console.log(`models/build/${m.out}  ${(bytes.length / 1e6).toFixed(2)} MB`);
}
process.exit(failed ? 1 : 0);
