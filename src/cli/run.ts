import { readFile, writeFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { type Command, needPositionals, openModel, stringOption, UsageError } from './common.js';
import { readNpy, writeNpy } from './npy.js';
import { nchwShape, toModelLayout } from '../runtime/layout.js';
import type { Tensor } from '../types.js';

export const runCmd: Command = {
  summary: 'run a raw tensor through a model (.npy in, .npy out)',
  usage: `xnor-web run MODEL.xnn --input IN.npy --output OUT.npy [--backend wasm|reference]

  IN.npy holds the model's input in its declared shape (e.g. [1,224,224,3] NHWC; the leading
  batch dimension of 1 may be left out), float32, float64 or uint8, C order. A model converted
  from ONNX also takes its own layout (NCHW, e.g. [1,3,224,224], as torch and onnxruntime),
  transposed once. No preprocessing is applied. OUT.npy receives the raw output as float32.`,
  options: { input: { type: 'string' }, output: { type: 'string' } },
  async run(p, io) {
    needPositionals(p, 'run', 1, 1, 'MODEL.xnn');
    const inPath = stringOption(p, 'input');
    const outPath = stringOption(p, 'output');
    if (!inPath || !outPath) throw new UsageError('run: --input IN.npy and --output OUT.npy are required');
    let bytes: Uint8Array;
    try {
      bytes = await readFile(inPath);
    } catch (e) {
      throw new InputError(`cannot read ${inPath}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    const arr = readNpy(bytes, inPath);
    const model = await openModel(p.positionals[0], p);
    try {
      const want = model.inputShape;
      const spec = model.info.input;
      const shape = want[0] === 1 && arr.shape.length === want.length - 1 ? [1, ...arr.shape] : arr.shape;
      // The source layout (an ONNX model's NCHW) is transposed here, once.
      const x = toModelLayout({ shape, data: arr.data }, spec) as Tensor;
      if (!(x.shape.length === want.length && x.shape.every((d, i) => d === want[i]))) {
        const alt = spec.sourceLayout === 'NCHW' ? ` (NHWC) or [${nchwShape(want).join(',')}] (NCHW, the ONNX model's own layout)` : '';
        throw new InputError(`${inPath}: shape [${arr.shape.join(',')}] differs from the model's input [${want.join(',')}]${alt}`);
      }
      const y = model.run(x);
      await writeFile(outPath, writeNpy(y.shape, y.data));
      io.out(`${outPath}: [${y.shape.join(',')}] float32\n`);
    } finally {
      model.dispose();
    }
  },
};
