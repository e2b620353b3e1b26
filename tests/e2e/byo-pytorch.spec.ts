// A binarized net written in plain PyTorch (training/byo/nets.py: ReActNet-style, RSign,
// RPReLU, concat downsampling, Hardtanh), exported with a plain torch.onnx.export, converted in
// Node and run in Chromium (window.xnor on web/demo/api.html) on torch's own NCHW tensors: its
// logits match torch's on 20 random inputs (max relative error <= 1e-3, same argmax). Skips
// without Python + torch (fails when CI=true), as the ONNX fixtures of the vitest suites do.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { readNpy } from '../../src/cli/npy.js';
import { convertOnnx } from '../../src/convert/onnx.js';
import { writeXnn } from '../../src/format/write.js';
import { REPO_ROOT } from '../helpers/shared.js';
import { baseUrl } from './models.js';

const PYTHON = process.env.XNOR_PYTHON ?? '/usr/bin/python3';
const CACHE = join(REPO_ROOT, 'tests/.cache/byo-pytorch');
const N = 20;

test('ReActNet-style plain-PyTorch BNN: Chromium = torch on 20 random inputs, binary convs on the binary kernels', async ({ page }) => {
  if (!existsSync(join(CACHE, 'reactnet.json'))) {
    const probe = spawnSync(PYTHON, ['-c', 'import torch, onnx'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      if (process.env.CI === 'true') throw new Error(`${PYTHON} with torch and onnx is needed (CI=true)`);
      test.skip(true, `${PYTHON} with torch and onnx is not available`);
    }
    mkdirSync(CACHE, { recursive: true });
    const r = spawnSync(PYTHON, [join(REPO_ROOT, 'training/byo/nets.py'), CACHE, '100'], { encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
  }
  const p = join(CACHE, 'reactnet');
  const graph = convertOnnx(readFileSync(`${p}.onnx`));
  const binaryConvs = JSON.parse(readFileSync(`${p}.json`, 'utf8')).binary_convs as number;
  expect(graph.order.filter((n) => n.op === 'BinConv2D')).toHaveLength(binaryConvs);
  const xnn = Array.from(writeXnn(graph));
  const x = readNpy(readFileSync(`${p}.x.npy`), 'x');
  const y = readNpy(readFileSync(`${p}.y.npy`), 'y');
  const per = 3 * 32 * 32, k = y.data.length / y.shape[0];
  // The NCHW tensors torch took, as they are: run() transposes them (the .xnn records sourceLayout NCHW).
  const inputs = Array.from({ length: N }, (_, b) => Array.from(x.data.subarray(b * per, (b + 1) * per)));
  await page.goto(`${baseUrl()}/demo/api.html`);
  await expect(page.locator('#status')).toHaveText('ready');
  const outs = await page.evaluate(async ({ xnn, inputs }) => {
    const m = await window.xnor.loadModel(new Uint8Array(xnn));
    const r: number[][] = [];
    for (const v of inputs) r.push(Array.from((await m.run({ shape: [1, 3, 32, 32], data: new Float32Array(v) })).data));
    m.dispose();
    return r;
  }, { xnn, inputs });
  let worst = 0, agree = 0;
  const argmax = (a: ArrayLike<number>) => Array.from(a).reduce((bi, v, i, arr) => (v > arr[bi] ? i : bi), 0);
  outs.forEach((o, b) => {
    const want = y.data.subarray(b * k, (b + 1) * k);
    const scale = Math.max(...Array.from(want, Math.abs));
    for (let j = 0; j < k; j++) worst = Math.max(worst, Math.abs(o[j] - want[j]) / scale);
    if (argmax(o) === argmax(want)) agree++;
  });
  console.log(`reactnet in Chromium: max rel vs torch ${worst.toExponential(2)}, argmax ${agree}/${N}`);
  expect(worst).toBeLessThanOrEqual(1e-3);
  expect(agree).toBe(N);
});
