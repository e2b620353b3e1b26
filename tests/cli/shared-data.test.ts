// Real models and data from the shared folder (../shared or $XNOR_SHARED), reference backend,
// tiny counts (the float reference takes seconds per ResNet image). Skipped locally when a
// file is missing, failed when CI=true.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../src/data/index.js';
import { readImageFile } from '../../src/image/decode-node.js';
import { REPO_ROOT, fashionMnistDir, sharedFiles } from '../helpers/shared.js';
import { expectOneLineError, runCli } from './run-cli.js';

const BM = 'models/bmxnet/';
const imagenet = sharedFiles(
  `${BM}binarized_imagenet-resnet18-64bit-symbol.json`,
  `${BM}binarized_imagenet-resnet18-64bit-0040.params`,
  'data/photos/chelsea.png',
  'data/photos/coffee.png',
);
const cifar = sharedFiles(
  `${BM}binarized_cifar10-resnet18-64bit-symbol.json`,
  `${BM}binarized_cifar10-resnet18-64bit-0000.params`,
  'data/cifar10/test_batch.bin',
);
const mnist = sharedFiles(`${BM}binarized_mnist_64bit-symbol.json`, `${BM}binarized_mnist_64bit-0001.params`);
const sample = sharedFiles('data/imagenet-sample/labels.tsv');
const fashion = fashionMnistDir();

const dir = mkdtempSync(join(tmpdir(), 'xnor-shared-'));
const last = (s: string) => JSON.parse(s.trim().split('\n').pop()!);

describe.skipIf(!imagenet)('ImageNet ResNet-18 (BMXNet) through the CLI', () => {
  it('converts, inspects, and classifies the photos as REFERENCE.md says', async () => {
    const [sym, params, chelsea, coffee] = imagenet!;
    const out = join(dir, 'r18.xnn');
    const c = await runCli(['convert', sym, params, '-o', out, '--preset', 'imagenet']);
    expect(c.code, c.stderr).toBe(0);
    const i = last((await runCli(['inspect', out, '--json'])).stdout);
    expect(i.metadata.labels).toHaveLength(1000);
    expect(i.metadata.preprocess).toMatchObject({ resizeShortSide: 256, centerCrop: [224, 224] });

    const r = await runCli(['classify', out, chelsea, coffee, '--top', '3', '--json', '--backend', 'reference']);
    expect(r.code, r.stderr).toBe(0);
    const [cat, cup] = JSON.parse(r.stdout);
    // REFERENCE.md: Egyptian cat 0.57, tiger cat 0.29, tabby 0.13; espresso 0.98.
    // These depend on the exact (Pillow BILINEAR) resampling of the 451×300 and 600×400 photos.
    expect(cat.top.map((t: { index: number }) => t.index)).toEqual([285, 282, 281]);
    expect(cat.top[0].prob).toBeCloseTo(0.57, 2);
    expect(cat.top[1].prob).toBeCloseTo(0.29, 2);
    expect(cat.top[2].prob).toBeCloseTo(0.13, 1);
    expect(cup.top[0].index).toBe(967);
    expect(cup.top[0].prob).toBeCloseTo(0.98, 2);
  }, 300_000);

  it.skipIf(!sample)('eval of the shipped models/imagenet-resnet18.xnn on the 500 imagenet-sample photos = the numpy reference exactly', async () => {
    const data = join(sample![0], '..');
    const r = await runCli(['eval', join(REPO_ROOT, 'models/imagenet-resnet18.xnn'), '--data', data, '--json', '--every', '0']);
    expect(r.code, r.stderr).toBe(0);
    const o = last(r.stdout);
    // shared/models/bmxnet/REFERENCE.md (numpy, Pillow decoding): 0.384 / 0.616. Node decodes
    // the JPEGs to Pillow's bytes (tests/image/pillow-parity.test.ts), so the figures are equal.
    expect(o).toEqual({ n: 500, top1: 0.384, top5: 0.616 });
    // ... and the file records them.
    const info = last((await runCli(['inspect', join(REPO_ROOT, 'models/imagenet-resnet18.xnn'), '--json'])).stdout);
    expect(info.metadata.accuracy).toEqual([{ dataset: 'imagenet-sample-500', n: 500, top1: 0.384, top5: 0.616 }]);
  }, 300_000);
});

describe.skipIf(!cifar)('CIFAR-10 ResNet-18 on test_batch.bin', () => {
  it('eval --limit 4 runs and reports n', async () => {
    const [sym, params, batch] = cifar!;
    const out = join(dir, 'c10.xnn');
    expect((await runCli(['convert', sym, params, '-o', out, '--preset', 'cifar10'])).code).toBe(0);
    const r = await runCli(['eval', out, '--data', batch, '--limit', '4', '--json', '--backend', 'reference']);
    expect(r.code, r.stderr).toBe(0);
    const o = last(r.stdout);
    expect(o.n).toBe(4);
    expect(o.top1).toBeGreaterThanOrEqual(0.5); // 0.78 over all 10,000; the first 4 give 0.5
  }, 300_000);
});

describe.skipIf(!mnist || !fashion)('MNIST LeNet on the Fashion-MNIST IDX folder', () => {
  it('eval reads the gzipped IDX test split', async () => {
    const [sym, params] = mnist!;
    const out = join(dir, 'mnist.xnn');
    expect((await runCli(['convert', sym, params, '-o', out, '--preset', 'mnist'])).code).toBe(0);
    const r = await runCli(['eval', out, '--data', fashion!, '--limit', '20', '--json', '--backend', 'reference']);
    expect(r.code, r.stderr).toBe(0);
    expect(last(r.stdout).n).toBe(20);
    const ds = await openDataset(fashion!);
    expect([ds.kind, ds.size]).toEqual(['idx', 10000]);
  }, 300_000);
});

describe.skipIf(!sample)('imagenet-sample folder', () => {
  it('lists 500 labelled photos whose short side is already 256 (no resampling)', async () => {
    const ds = await openDataset(join(sharedFiles('data/imagenet-sample/labels.tsv')![0], '..'));
    expect([ds.kind, ds.size]).toEqual(['folder', 500]);
    const first = (await ds[Symbol.asyncIterator]().next()).value!;
    expect(first.label).toBe(0);
    expect(Math.min(first.image.width, first.image.height)).toBe(256);
    const lines = readFileSync(sharedFiles('data/imagenet-sample/labels.tsv')![0], 'utf8').trim().split('\n');
    const img = await readImageFile(join(sharedFiles('data/imagenet-sample/labels.tsv')![0], '..', lines[1].split('\t')[0]));
    expect(img.channels).toBe(3);
  });
  it('a wrong --preset path or missing params → one-line errors', async () => {
    expectOneLineError(await runCli(['convert', 'missing-symbol.json', 'missing.params', '-o', join(dir, 'x.xnn'), '--preset', 'imagenet']), /no such file/);
  });
});
