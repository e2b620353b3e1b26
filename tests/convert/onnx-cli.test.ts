// `xnor-web convert MODEL.onnx`: options into metadata, errors as one line.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readXnn } from '../../src/format/read.js';
import { expectOneLineError, runCli } from '../cli/run-cli.js';
import { model, node, rand, tensor } from '../fixtures/onnx-build.js';

const dir = mkdtempSync(join(tmpdir(), 'xnor-onnx-cli-'));
const good = join(dir, 'tiny.onnx');
writeFileSync(
  good,
  model({
    inputDims: ['N', 3, 'H', 'W'],
    output: 'logits',
    nodes: [node('Conv', ['input', 'w'], ['c'], { pads: [1, 1, 1, 1] }), node('GlobalAveragePool', ['c'], ['g']), node('Flatten', ['g'], ['logits'])],
    inits: [tensor('w', [4, 3, 3, 3], rand(108, 1))],
  }),
);
const labels = join(dir, 'labels.txt');
writeFileSync(labels, 'cat\ndog\nbird\nfish\n');

describe('xnor-web convert MODEL.onnx', () => {
  it('writes the options into the .xnn metadata', async () => {
    const out = join(dir, 'tiny.xnn');
    const r = await runCli([
      'convert', good, '-o', out, '--labels', labels, '--name', 'tiny', '--input-size', '40,40', '--value-range', '0,255',
      '--mean', '1,2,3', '--std', '4,5,6', '--resize-short-side', '48', '--center-crop', '40,40', '--accuracy', 'test-set:100:0.5:0.75',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/tiny\.xnn: tiny, 3 nodes/);
    const m = readXnn(readFileSync(out)).metadata;
    expect(m).toMatchObject({
      name: 'tiny',
      input: { shape: [1, 40, 40, 3], colorOrder: 'RGB', valueRange: [0, 255] },
      preprocess: { resizeShortSide: 48, centerCrop: [40, 40], mean: [1, 2, 3], std: [4, 5, 6] },
      labels: ['cat', 'dog', 'bird', 'fish'],
      accuracy: [{ dataset: 'test-set', n: 100, top1: 0.5, top5: 0.75 }],
      output: { kind: 'logits' },
    });
    expect(m.provenance).toMatchObject({ files: 'tiny.onnx', onnxProducer: 'onnx-build.ts 1', onnxOpset: '13' });
  });

  it('errors are one line: symbolic size, unsupported op, label count, --preset', async () => {
    expectOneLineError(await runCli(['convert', good, '-o', join(dir, 'x.xnn')]), /the height is symbolic; give it with --input-size/);
    const bad = join(dir, 'bad.onnx');
    writeFileSync(bad, model({ inputDims: [1, 3, 8, 8], output: 'y', nodes: [node('Erf', ['input'], ['y'], {}, 'Erf_7')] }));
    expectOneLineError(await runCli(['convert', bad, '-o', join(dir, 'x.xnn')]), /UnsupportedOpError|node "Erf_7" \(Erf\): op Erf is not supported/);
    const three = join(dir, 'three.txt');
    writeFileSync(three, 'a\nb\nc\n');
    expectOneLineError(await runCli(['convert', good, '-o', join(dir, 'x.xnn'), '--input-size', '8,8', '--labels', three]), /metadata.labels has 3 entries, output "logits" has 4 classes/);
    expectOneLineError(await runCli(['convert', good, '-o', join(dir, 'x.xnn'), '--preset', 'mnist']), /--preset is only for BMXNet/);
    expectOneLineError(await runCli(['convert', good, '-o', join(dir, 'x.xnn'), '--input-size', '8']), /--input-size must be 2 comma-separated positive integers/);
    writeFileSync(join(dir, 'trunc.onnx'), readFileSync(good).subarray(0, 200));
    expectOneLineError(await runCli(['convert', join(dir, 'trunc.onnx'), '-o', join(dir, 'x.xnn')]), /not a valid ONNX model/);
  });
});
