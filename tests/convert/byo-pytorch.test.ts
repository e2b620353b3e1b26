// Binarized nets written in plain PyTorch the way papers' code writes them (training/byo/
// nets.py: a Bi-Real-18-style ResNet and a ReActNet-style net with RSign, RPReLU, concat
// downsampling and Hardtanh), exported with a plain torch.onnx.export (opset 13): they must
// convert, every binary conv must become a BinConv2D on the binary kernels (also as
// `xnor-web inspect` lists it), and the WASM runtime must match torch on 100 random inputs
// (max relative error <= 1e-3 per input, same argmax for all), also when fed torch's own NCHW
// tensors (run() and `xnor-web run` transpose them once). Without Python + torch the
// suite skips (fails when CI=true, as the other ONNX fixtures do).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { onnxParity } from '../../scripts/onnx-parity.js';
import { readNpy, writeNpy } from '../../src/cli/npy.js';
import { convertOnnx } from '../../src/convert/onnx.js';
import { writeXnn } from '../../src/format/write.js';
import { openModel as loadModel } from '../../src/runtime/model.js';
import { PYTHON, pythonMissing } from '../fixtures/onnx-fixtures.js';
import { REPO_ROOT } from '../helpers/shared.js';
import { runCli } from '../cli/run-cli.js';

const CACHE = join(REPO_ROOT, 'tests/.cache/byo-pytorch');
const NETS = ['birealnet18', 'reactnet'] as const;
const skip = !!pythonMissing();

describe.skipIf(skip)('plain-PyTorch BNNs (training/byo/nets.py) → ONNX → .xnn', () => {
  beforeAll(() => {
    if (NETS.every((n) => existsSync(join(CACHE, `${n}.json`)))) return;
    mkdirSync(CACHE, { recursive: true });
    const r = spawnSync(PYTHON, [join(REPO_ROOT, 'training/byo/nets.py'), CACHE, '100'], { encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) throw new Error(`training/byo/nets.py failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}`);
  }, 300_000);

  for (const name of NETS) {
    it(`${name}: every binary conv is a BinConv2D; WASM = torch on 100 random inputs`, async () => {
      const p = join(CACHE, name);
      const meta = JSON.parse(readFileSync(`${p}.json`, 'utf8')) as { binary_convs: number };
      const r = await onnxParity(readFileSync(`${p}.onnx`), {
        x: readNpy(readFileSync(`${p}.x.npy`), `${name}.x.npy`),
        y: readNpy(readFileSync(`${p}.y.npy`), `${name}.y.npy`),
        ort: false,
      });
      console.log(`${name}: max rel vs torch ${r.vsTorch!.maxRel.toExponential(2)}, argmax ${r.vsTorch!.argmaxAgree}/${r.vsTorch!.n}, BinConv2D ${r.ops.filter((o) => o === 'BinConv2D').length}`);
      expect(r.inputs).toBe(100);
      expect(r.vsTorch!.maxRel).toBeLessThanOrEqual(1e-3);
      expect(r.vsTorch!.argmaxAgree).toBe(100);
      expect(r.ops.filter((o) => o === 'BinConv2D').length).toBe(meta.binary_convs);
      // The float convs left are the stem (and Bi-Real's 1×1 downsampling shortcuts).
      expect(r.ops.filter((o) => o === 'Conv2D').length).toBe(name === 'birealnet18' ? 4 : 1);

      // Fed the NCHW tensors torch took ([1,3,32,32]; the .xnn records sourceLayout NCHW and
      // run() transposes once): torch's outputs on all 100 inputs.
      const x = readNpy(readFileSync(`${p}.x.npy`), 'x'), y = readNpy(readFileSync(`${p}.y.npy`), 'y');
      const k = y.data.length / y.shape[0], per = 3 * 32 * 32;
      const relErr = (got: Float32Array, b: number) => {
        const want = y.data.subarray(b * k, (b + 1) * k);
        const scale = Math.max(...Array.from(want, Math.abs));
        return Math.max(...Array.from(want, (w, j) => Math.abs(got[j] - w) / scale));
      };
      const argmax = (a: ArrayLike<number>) => Array.from(a).reduce((bi, v, i, arr) => (v > arr[bi] ? i : bi), 0);
      const m1 = await loadModel(r.xnn);
      expect(m1.info.input.sourceLayout).toBe('NCHW');
      let worst = 0, agree = 0;
      for (let b = 0; b < 100; b++) {
        const out = m1.run({ shape: [1, 3, 32, 32], data: x.data.slice(b * per, (b + 1) * per) }).data;
        worst = Math.max(worst, relErr(out, b));
        agree += +(argmax(out) === argmax(y.data.subarray(b * k, (b + 1) * k)));
      }
      m1.dispose();
      console.log(`${name}: NCHW input: max rel vs torch ${worst.toExponential(2)}, argmax ${agree}/100`);
      expect(worst).toBeLessThanOrEqual(1e-3);
      expect(agree).toBe(100);

      // A batch of 4 in one run (the graph is planned for N = 4; --batch 4), NCHW in, same outputs.
      const m4 = await loadModel(writeXnn(convertOnnx(readFileSync(`${p}.onnx`), { batch: 4 })));
      expect(m4.inputShape).toEqual([4, 32, 32, 3]);
      const yb = m4.run({ shape: [4, 3, 32, 32], data: x.data.slice(0, 4 * per) }).data;
      m4.dispose();
      for (let b = 0; b < 4; b++) expect(relErr(yb.subarray(b * k, (b + 1) * k), b)).toBeLessThanOrEqual(1e-3);

      const file = join(tmpdir(), `xnor-byo-${name}-${process.pid}.xnn`);
      writeFileSync(file, r.xnn);
      const out = await runCli(['inspect', file]);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout.match(/\bBinConv2D\b/g)?.length).toBe(meta.binary_convs);

      // `xnor-web run` with the NCHW .npy a torch user has (input 0), and without its batch axis.
      const xin = join(tmpdir(), `xnor-byo-${name}-${process.pid}.x.npy`), yout = join(tmpdir(), `xnor-byo-${name}-${process.pid}.y.npy`);
      for (const shape of [[1, 3, 32, 32], [3, 32, 32]]) {
        writeFileSync(xin, writeNpy(shape, x.data.slice(0, per)));
        const ran = await runCli(['run', file, '--input', xin, '--output', yout]);
        expect(ran.code, ran.stderr).toBe(0);
        expect(relErr(readNpy(readFileSync(yout), 'y').data, 0)).toBeLessThanOrEqual(1e-3);
      }
    }, 300_000);
  }
});
