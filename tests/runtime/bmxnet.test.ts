// The real BMXNet ResNets, run by the WASM runtime, compared with the reference interpreter
// layer by layer on real inputs: binary layers exactly, float layers within 1e-4 relative.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { convertBmxnet } from '../../src/convert/bmxnet.js';
import { readXnn, writeXnn, type XnnModel } from '../../src/format/index.js';
import { readImageFile } from '../../src/image/decode-node.js';
import { preprocessImage } from '../../src/image/preprocess.js';
import { runReference } from '../../src/reference/interpreter.js';
import { createWasmBackend } from '../../src/runtime/wasm-backend.js';
import { sharedFiles } from '../helpers/shared.js';

const MODELS = {
  imagenet: ['binarized_imagenet-resnet18-64bit-symbol.json', 'binarized_imagenet-resnet18-64bit-0040.params'],
  cifar10: ['binarized_cifar10-resnet18-64bit-symbol.json', 'binarized_cifar10-resnet18-64bit-0000.params'],
} as const;

const modelFiles = (preset: keyof typeof MODELS) => sharedFiles(...MODELS[preset].map((f) => `models/bmxnet/${f}`));
// Missing files skip the tests that need them (sharedFiles throws when CI=true).
const HAVE = { imagenet: !!modelFiles('imagenet'), cifar10: !!modelFiles('cifar10') };
const PHOTO = sharedFiles('data/photos/chelsea.png');
const CIFAR_BATCH = sharedFiles('data/cifar10/test_batch.bin');

function convert(preset: keyof typeof MODELS): XnnModel {
  const files = modelFiles(preset)!;
  const g = convertBmxnet(readFileSync(files[0], 'utf8'), readFileSync(files[1]), preset, { labels: [] });
  return readXnn(writeXnn(g));
}

/** CIFAR record i of the shared test batch as NHWC 0–255 floats, and its label. */
function cifarRecord(batch: Uint8Array, i: number): { x: Float32Array; label: number } {
  const r = batch.subarray(i * 3073, (i + 1) * 3073);
  const x = new Float32Array(32 * 32 * 3);
  for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) x[p * 3 + c] = r[1 + c * 1024 + p];
  return { x, label: r[0] };
}

async function compareLayers(model: XnnModel, input: Float32Array) {
  const ref = runReference(model, input, { keep: true });
  const wasm = await createWasmBackend(model, { keepValues: true });
  wasm.run(input);
  const problems: string[] = [];
  let binarySteps = 0;
  for (const step of wasm.steps) {
    const got = wasm.read(step.output)!;
    const want = ref.values!.get(step.output)!.data;
    const exact = step.node.op.startsWith('Bin');
    if (exact) binarySteps++;
    // Relative to the element, floored at the layer's RMS so that values that cancel to
    // near zero are judged against the layer's scale, not against themselves.
    const rms = Math.sqrt(want.reduce((a, v) => a + v * v, 0) / want.length);
    let worst = 0;
    for (let i = 0; i < want.length; i++) {
      if (exact && got[i] !== want[i]) {
        problems.push(`${step.covers.join('+')}[${i}]: ${got[i]} != ${want[i]}`);
        break;
      }
      worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(rms, Math.abs(want[i])));
    }
    if (worst > 1e-4) problems.push(`${step.covers.join('+')}: relative error ${worst}`);
  }
  wasm.dispose();
  return { problems, binarySteps, steps: wasm.steps.length, ref };
}

describe('BMXNet ResNet-18 on the WASM runtime', () => {
  it.skipIf(!HAVE.imagenet || !PHOTO)('ImageNet: every layer equals the reference on chelsea.png', async () => {
    const model = convert('imagenet');
    const x = preprocessImage(await readImageFile(PHOTO![0]), model.metadata).data;
    const { problems, binarySteps } = await compareLayers(model, x);
    expect(binarySteps).toBeGreaterThanOrEqual(20);
    expect(problems).toEqual([]);
  });

  it.skipIf(!HAVE.cifar10 || !CIFAR_BATCH)('CIFAR-10: every layer equals the reference on a test image', async () => {
    const model = convert('cifar10');
    const { problems, binarySteps } = await compareLayers(model, cifarRecord(readFileSync(CIFAR_BATCH![0]), 3).x);
    expect(binarySteps).toBeGreaterThanOrEqual(20);
    expect(problems).toEqual([]);
  });

  it.skipIf(!HAVE.cifar10 || !CIFAR_BATCH)('CIFAR-10: WASM and reference agree on the outputs of a slice of the test set', async () => {
    const model = convert('cifar10');
    const batch = readFileSync(CIFAR_BATCH![0]);
    const wasm = await createWasmBackend(model);
    const n = Number(process.env.XNOR_REF_SLICE ?? 16);
    let sameArgmax = 0;
    for (let i = 0; i < n; i++) {
      const { x } = cifarRecord(batch, i);
      const want = runReference(model, x).output.data;
      const got = wasm.run(x);
      const argmax = (v: Float32Array) => v.indexOf(Math.max(...v));
      if (argmax(got) === argmax(want)) sameArgmax++;
      for (let c = 0; c < want.length; c++) expect(Math.abs(got[c] - want[c])).toBeLessThan(1e-5);
    }
    expect(sameArgmax).toBe(n);
  });
});
